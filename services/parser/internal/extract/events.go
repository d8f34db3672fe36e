package extract

import (
	"maps"
	"slices"
)

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

// env maps names to the definitions that may reach the current point.
// A nil map is the unreachable state.
type env map[string][]DefID

func (e env) clone() env {
	if e == nil {
		return nil
	}
	// maps.Clone copies the hash table wholesale instead of reinserting.
	return maps.Clone(e)
}

// union merges b into a, copying slices on write; a nil side is unreachable.
func union(a, b env) env {
	if a == nil {
		return b.clone()
	}
	if b == nil {
		return a
	}
	for k, bv := range b {
		av, ok := a[k]
		if !ok {
			a[k] = bv
			continue
		}
		a[k] = mergeSorted(av, bv)
	}
	return a
}

// mergeSorted returns the sorted union of two sorted sets, reusing a when b adds nothing.
func mergeSorted(a, b []DefID) []DefID {
	if len(b) == 0 || sameSet(a, b) {
		return a
	}
	out := make([]DefID, 0, len(a)+len(b))
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
	out = append(out, b[j:]...)
	if len(out) == len(a) {
		return a
	}
	return out
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
	cur := env{}
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
			u := &b.m.Uses[ev.id]
			if cur != nil {
				if ds, ok := cur[u.Name]; ok {
					u.Defs = mergeSorted(u.Defs, ds)
				}
			}
		case evDef:
			if cur != nil {
				if shared {
					cur, shared = cur.clone(), false
				}
				cur[b.m.Defs[ev.id].Name] = []DefID{ev.id}
			}
		case evBranchBegin:
			stack = append(stack, frame{kind: frameBranch, try: ev.id == 1, pre: cur})
			shared = true
		case evBranchAlt:
			f := &stack[len(stack)-1]
			if f.try && f.altCount == 0 {
				f.firstEnd = cur
			}
			f.acc = union(f.acc, cur)
			f.accSet = true
			f.altCount++
			if f.try {
				cur, shared = union(f.pre.clone(), f.firstEnd), false
			} else {
				cur, shared = f.pre, true
			}
		case evBranchEnd:
			f := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			acc := union(f.acc, cur)
			if ev.id == 0 {
				acc = union(acc, f.pre)
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
				next := union(f.pre.clone(), cur)
				next = union(next, f.continues)
				cur, shared = next, false
				i = f.start // the loop increments to the first body event
				continue
			}
			out := union(f.pre.clone(), cur)
			out = union(out, f.breaks)
			out = union(out, f.continues)
			stack = stack[:len(stack)-1]
			loopDepth--
			cur, shared = out, false
		case evBreak, evContinue:
			for k := len(stack) - 1; k >= 0; k-- {
				if stack[k].kind == frameLoop {
					if ev.op == evBreak {
						stack[k].breaks = union(stack[k].breaks, cur)
					} else {
						stack[k].continues = union(stack[k].continues, cur)
					}
					break
				}
			}
			cur, shared = nil, false
		case evExit:
			cur, shared = nil, false
		}
	}
}
