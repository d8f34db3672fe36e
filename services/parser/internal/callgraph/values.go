package callgraph

// valKind is the kind of an abstract value.
type valKind uint8

const (
	vFunc          valKind = iota // a: function or lambda scope
	vBound                        // a: function scope, b: receiver value
	vClass                        // a: class scope
	vInst                         // a: class scope
	vModule                       // a: module index
	vExternal                     // s: dotted path outside the repository
	vExtInst                      // s: external class whose instance this is
	vBuiltin                      // s: builtin name
	vContainer                    // a: container index
	vConst                        // s: "s:<text>" or "i:<n>"
	vSuper                        // a: class scope, b: method scope
	vBuiltinMethod                // a: container value, s: method name
	vGenerator                    // a: generator function scope
)

type value struct {
	kind valKind
	a, b int32
	s    string
}

// values interns abstract values.
type values struct {
	list []value
	idx  map[value]int32
}

func newValues() *values { return &values{idx: map[value]int32{}} }

func (vs *values) intern(v value) int32 {
	if id, ok := vs.idx[v]; ok {
		return id
	}
	id := int32(len(vs.list))
	vs.list = append(vs.list, v)
	vs.idx[v] = id
	return id
}

// containerKind tells what a container is.
type containerKind uint8

const (
	ctList containerKind = iota
	ctTuple
	ctSet
	ctDict
	ctIter
)

// container is an abstract list, tuple, set, dict or iterator created at
// one site; constant keys get their own slots.
type container struct {
	kind   containerKind
	length int32           // number of positional slots when known, else -1
	slots  map[int32]int32 // constant value -> node
	any    int32           // node: values stored under unknown keys
	all    int32           // node: union of every slot (-1 until needed)
	keys   int32           // node: constant keys (dict iteration)
	val    int32           // the container's own value id
}
