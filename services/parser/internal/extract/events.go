package extract

import "slices"

// Events record, per scope and in evaluation order, the reads and bindings
// of names together with the control structure around them. Replaying them
// gives the definitions that reach each read (a flow-sensitive view inside a
// scope; across scopes the analysis is flow-insensitive).
type eventOp uint8

const (
	evUse         eventOp = iota // id: UseID
	evDef                        // id: DefID
	evBranchBegin                // id: 1 for try statements
	evBranchAlt                  // start of the next alternative
	evBranchEnd                  // id: 1 when one alternative always runs
	evLoopBegin
	evLoopEnd
	evBreak
	evContinue
	evExit // return or raise: the rest of the block is not reached
)

type event struct {
	op eventOp
	id int32
}

// env holds, per slot (a name the scope binds), the definitions that may
// reach the current point. A nil env is the unreachable state. Envs and
// their definition lists live in the replayer's scratch memory, reused from
// one scope to the next: none of them outlives a replay (Use.Defs gets
// fresh copies), and the branch-heavy module scopes of large files cloned
// tens of megabytes of maps per standard library otherwise.
type env [][]DefID

// replayer is the scratch state of replay, kept by an Extractor.
type replayer struct {
	slots  map[string]int32 // name -> slot, for the scope being replayed
	slotOf []int32          // per event: the slot of its name, -1 if none
	envs   [][]DefID        // backing store of envs: the chunk in use
	defs   []DefID          // backing store of envs' definition lists: the chunk in use
	// The chunks filled so far, reused from the first by the next scope.
	envChunks [][][]DefID
	defChunks [][]DefID
	envChunk  int
	defChunk  int
	// useDefs are the reaching definitions of the module's uses found so
	// far (by UseID), moved to Module.UseDefs when their scope is done.
	useDefs [][]DefID
}

// startModule readies the replayer for a module of n uses.
func (r *replayer) startModule(n int) {
	if cap(r.useDefs) < n {
		r.useDefs = make([][]DefID, n)
		return
	}
	r.useDefs = r.useDefs[:n]
	clear(r.useDefs)
}

func (r *replayer) reset() {
	clear(r.slots)
	r.slotOf = r.slotOf[:0]
	r.envChunk, r.defChunk = -1, -1
	r.envs, r.defs = nil, nil
}

// newEnv returns a reachable env of n empty slots.
func (r *replayer) newEnv(n int) env {
	if cap(r.envs)-len(r.envs) < n {
		r.envs = nextChunk(&r.envChunks, &r.envChunk, max(1024, 2*n))
		clear(r.envs[:cap(r.envs)]) // drop the previous scope's lists
	}
	l := len(r.envs)
	r.envs = r.envs[:l+n]
	return env(r.envs[l : l+n : l+n])
}

// nextChunk returns the next chunk of at least n elements after *at in
// *chunks, allocating one when none is left, and makes it current.
func nextChunk[T any](chunks *[][]T, at *int, n int) []T {
	for *at+1 < len(*chunks) {
		*at++
		if c := (*chunks)[*at]; cap(c) >= n {
			return c[:0]
		}
	}
	c := make([]T, 0, n)
	*chunks = append(*chunks, c)
	*at = len(*chunks) - 1
	return c
}

func (r *replayer) clone(e env) env {
	if e == nil {
		return nil
	}
	out := r.newEnv(len(e))
	copy(out, e)
	return out
}

// list returns a definition list of length n from scratch memory.
func (r *replayer) list(n int) []DefID {
	if cap(r.defs)-len(r.defs) < n {
		r.defs = nextChunk(&r.defChunks, &r.defChunk, max(4096, 2*n))
	}
	l := len(r.defs)
	r.defs = r.defs[:l+n]
	return r.defs[l : l+n : l+n]
}

// union merges b into a, copying lists on write; a nil side is unreachable.
func (r *replayer) union(a, b env) env {
	if a == nil {
		return r.clone(b)
	}
	if b == nil {
		return a
	}
	for k, bv := range b {
		switch av := a[k]; {
		case len(bv) == 0:
		case len(av) == 0:
			a[k] = bv
		case !sameSet(av, bv):
			a[k] = r.merge(av, bv)
		}
	}
	return a
}

// merge returns the sorted union of two sorted lists in scratch memory,
// or a itself when b adds nothing.
func (r *replayer) merge(a, b []DefID) []DefID {
	if len(a) == 0 {
		return b // lists are never modified in place
	}
	n := mergedLen(a, b)
	if n == len(a) {
		return a
	}
	return mergeInto(r.list(n)[:0], a, b)
}

// mergedLen is the size of the union of two sorted sets.
func mergedLen(a, b []DefID) int {
	n, i, j := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			i++
			j++
		}
		n++
	}
	return n + len(a) - i + len(b) - j
}

// mergeInto appends the sorted union of a and b to out.
func mergeInto(out, a, b []DefID) []DefID {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			out = append(out, a[i])
			i++
		case a[i] > b[j]:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

func sameSet(a, b []DefID) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0] || slices.Equal(a, b))
}

type frameKind uint8

const (
	frameBranch frameKind = iota
	frameLoop
)

type frame struct {
	kind      frameKind
	try       bool
	pre       env
	acc       env
	accSet    bool // acc holds at least one alternative (possibly unreachable)
	firstEnd  env  // try: state at the end of the body
	altCount  int
	start     int // loop: index of evLoopBegin
	pass      int
	breaks    env
	continues env
	single    bool // loop replayed once (deep nesting)
}

// maxReplayDepth bounds how many nested loops are replayed twice; deeper
// loops are replayed once, which only loses loop-carried definitions.
const maxReplayDepth = 4

// replay computes the reaching definitions of each use of one scope. A use
// whose name has no reaching definition keeps Defs empty; resolveTargets
// then points it at the right scope.
func (b *builder) replay(s ScopeID) {
	evs := b.m.Scopes[s].events
	r := b.rp
	r.reset()
	if r.slots == nil {
		r.slots = map[string]int32{}
	}
	// Number the names the scope binds; a read of any other name has no
	// reaching definition here.
	for _, ev := range evs {
		if ev.op == evDef {
			name := b.m.Defs[ev.id].Name
			if _, ok := r.slots[name]; !ok {
				r.slots[name] = int32(len(r.slots))
			}
		}
	}
	for _, ev := range evs {
		slot := int32(-1)
		switch ev.op {
		case evDef:
			slot = r.slots[b.m.Defs[ev.id].Name]
		case evUse:
			if k, ok := r.slots[b.m.Uses[ev.id].Name]; ok {
				slot = k
			}
		}
		r.slotOf = append(r.slotOf, slot)
	}
	cur := r.newEnv(len(r.slots))
	// shared: cur is also held by a frame (pre, firstEnd), which never
	// modifies it; cur is copied before its first write instead of at
	// every branch and loop.
	shared := false
	var stack []frame
	loopDepth := 0
	for i := 0; i < len(evs); i++ {
		ev := evs[i]
		switch ev.op {
		case evUse:
			if k := r.slotOf[i]; k >= 0 && cur != nil {
				r.useDefs[ev.id] = r.merge(r.useDefs[ev.id], cur[k])
			}
		case evDef:
			if cur != nil {
				if shared {
					cur, shared = r.clone(cur), false
				}
				one := r.list(1)
				one[0] = ev.id
				cur[r.slotOf[i]] = one
			}
		case evBranchBegin:
			stack = append(stack, frame{kind: frameBranch, try: ev.id == 1, pre: cur})
			shared = true
		case evBranchAlt:
			f := &stack[len(stack)-1]
			if f.try && f.altCount == 0 {
				f.firstEnd = cur
			}
			f.acc = r.union(f.acc, cur)
			f.accSet = true
			f.altCount++
			if f.try {
				cur, shared = r.union(r.clone(f.pre), f.firstEnd), false
			} else {
				cur, shared = f.pre, true
			}
		case evBranchEnd:
			f := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			acc := r.union(f.acc, cur)
			if ev.id == 0 {
				acc = r.union(acc, f.pre)
			}
			cur, shared = acc, false
		case evLoopBegin:
			if len(stack) > 0 && stack[len(stack)-1].kind == frameLoop && stack[len(stack)-1].start == i {
				// Second pass over the same loop: the frame is already there.
				continue
			}
			loopDepth++
			stack = append(stack, frame{kind: frameLoop, start: i, pre: cur, single: loopDepth > maxReplayDepth})
			shared = true
		case evLoopEnd:
			f := &stack[len(stack)-1]
			if f.pass == 0 && !f.single {
				f.pass = 1
				next := r.union(r.clone(f.pre), cur)
				next = r.union(next, f.continues)
				cur, shared = next, false
				i = f.start // the loop increments to the first body event
				continue
			}
			out := r.union(r.clone(f.pre), cur)
			out = r.union(out, f.breaks)
			out = r.union(out, f.continues)
			stack = stack[:len(stack)-1]
			loopDepth--
			cur, shared = out, false
		case evBreak, evContinue:
			for k := len(stack) - 1; k >= 0; k-- {
				if stack[k].kind == frameLoop {
					if ev.op == evBreak {
						stack[k].breaks = r.union(stack[k].breaks, cur)
					} else {
						stack[k].continues = r.union(stack[k].continues, cur)
					}
					break
				}
			}
			cur, shared = nil, false
		case evExit:
			cur, shared = nil, false
		}
	}
	// Keep what reached each use: the lists live in scratch memory that
	// the next scope reuses.
	for _, ev := range evs {
		if ev.op != evUse {
			continue
		}
		if defs := r.useDefs[ev.id]; len(defs) > 0 {
			b.m.Uses[ev.id].Defs = appendSpan(&b.m.UseDefs, defs)
			r.useDefs[ev.id] = nil
		}
	}
}
