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
	// byA interns the values that are only a kind and an index (functions,
	// classes, instances, modules, containers): a table lookup instead of
	// hashing the whole value. It holds id+1; 0 is absent.
	byA [vGenerator + 1][]int32
}

func newValues(hint int) *values {
	return &values{list: make([]value, 0, hint), idx: make(map[value]int32, hint/2)}
}

func (vs *values) intern(v value) int32 {
	if v.s == "" && v.b == 0 && v.a >= 0 && int(v.kind) < len(vs.byA) {
		tab := vs.byA[v.kind]
		if int(v.a) < len(tab) {
			if id := tab[v.a]; id > 0 {
				return id - 1
			}
		} else {
			tab = append(tab, make([]int32, int(v.a)+1-len(tab))...)
			tab = tab[:cap(tab)]
			vs.byA[v.kind] = tab
		}
		id := int32(len(vs.list))
		vs.list = append(vs.list, v)
		tab[v.a] = id + 1
		return id
	}
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
