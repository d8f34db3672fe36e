package callgraph

// The solver's large maps are keyed by packed integer pairs. They live in
// open-addressing tables of one flat slice each: a probe is a multiply and
// mostly one cache line, and a table is one large allocation, where a
// Go map of tens of thousands of entries is many small ones (fresh small
// spans cost far more to fault in than a large object's pages).

// Slots hold key+1, so that zeroed memory is empty; the all-ones key,
// which would wrap to 0, is kept aside.
const maxKey = ^uint64(0)

type hashSlot struct {
	key uint64
	val int32
}

// intMap maps uint64 keys to int32 values, with linear probing.
type intMap struct {
	slots  []hashSlot
	n      int
	shift  uint8 // 64 - log2(len(slots))
	hasMax bool
	maxVal int32
}

// tableSize returns the power-of-two slot count (and its shift) that holds
// hint keys at most three quarters full.
func tableSize(hint int) (int, uint8) {
	size, shift := 16, uint8(60)
	for size*3 < hint*4 {
		size, shift = size*2, shift-1
	}
	return size, shift
}

// newIntMap returns a map sized for about hint keys.
func newIntMap(hint int) *intMap {
	size, shift := tableSize(hint)
	return &intMap{slots: make([]hashSlot, size), shift: shift}
}

// hashIndex spreads key over a table of 64-shift bits (Fibonacci hashing).
func hashIndex(key uint64, shift uint8) int {
	return int((key * 0x9E3779B97F4A7C15) >> shift)
}

func (m *intMap) get(key uint64) (int32, bool) {
	if key == maxKey {
		return m.maxVal, m.hasMax
	}
	mask := len(m.slots) - 1
	for i := hashIndex(key, m.shift); ; i = (i + 1) & mask {
		sl := &m.slots[i]
		if sl.key == key+1 {
			return sl.val, true
		}
		if sl.key == 0 {
			return 0, false
		}
	}
}

// put sets the value of key.
func (m *intMap) put(key uint64, val int32) {
	if key == maxKey {
		m.hasMax, m.maxVal = true, val
		return
	}
	mask := len(m.slots) - 1
	for i := hashIndex(key, m.shift); ; i = (i + 1) & mask {
		sl := &m.slots[i]
		if sl.key == key+1 {
			sl.val = val
			return
		}
		if sl.key == 0 {
			sl.key, sl.val = key+1, val
			m.n++
			if m.n*4 > len(m.slots)*3 {
				m.grow()
			}
			return
		}
	}
}

func (m *intMap) grow() {
	old := m.slots
	m.slots = make([]hashSlot, 2*len(old))
	m.shift--
	mask := len(m.slots) - 1
	for _, sl := range old {
		if sl.key == 0 {
			continue
		}
		i := hashIndex(sl.key-1, m.shift)
		for m.slots[i].key != 0 {
			i = (i + 1) & mask
		}
		m.slots[i] = sl
	}
}

// intSet is a set of uint64 keys, with linear probing.
type intSet struct {
	keys   []uint64 // key+1; 0 is empty
	n      int
	shift  uint8
	hasMax bool
}

// newIntSet returns a set sized for about hint keys.
func newIntSet(hint int) *intSet {
	size, shift := tableSize(hint)
	return &intSet{keys: make([]uint64, size), shift: shift}
}

// insert adds key and reports whether it was new.
func (t *intSet) insert(key uint64) bool {
	if key == maxKey {
		added := !t.hasMax
		t.hasMax = true
		return added
	}
	mask := len(t.keys) - 1
	for i := hashIndex(key, t.shift); ; i = (i + 1) & mask {
		switch t.keys[i] {
		case key + 1:
			return false
		case 0:
			t.keys[i] = key + 1
			t.n++
			if t.n*4 > len(t.keys)*3 {
				t.grow()
			}
			return true
		}
	}
}

func (t *intSet) grow() {
	old := t.keys
	t.keys = make([]uint64, 2*len(old))
	t.shift--
	mask := len(t.keys) - 1
	for _, k := range old {
		if k == 0 {
			continue
		}
		i := hashIndex(k-1, t.shift)
		for t.keys[i] != 0 {
			i = (i + 1) & mask
		}
		t.keys[i] = k
	}
}

// each calls f for every entry, in no particular order.
func (m *intMap) each(f func(key uint64, val int32)) {
	for _, sl := range m.slots {
		if sl.key != 0 {
			f(sl.key-1, sl.val)
		}
	}
	if m.hasMax {
		f(maxKey, m.maxVal)
	}
}
