// A bump allocator for tree-sitter, one per parser (worker).
//
// tree-sitter allocates every syntax node, stack node and buffer of a parse
// through ts_malloc and friends, and ts_tree_delete frees the tree node by
// node: with malloc, allocating and freeing cost about as much as the
// flattening. Here a file is parsed by a parser made for it while its
// thread's arena is current: everything lands in the arena, frees are
// no-ops, and the tree and the parser are dropped at once by resetting the
// arena, whose memory the next file reuses. Outside an arena (any other user
// of tree-sitter in the process) the allocator is malloc.
//
// Without frees, memory grows with all that a parse allocates, not with what
// it keeps: at most 30 MB for a file of the standard library, 200 MB for a
// megabyte of dense code and over a gigabyte for a megabyte of garbage. A parse that outgrows the first chunk
// is cancelled and the file parsed again with malloc, so a worker's arena
// stays under 64 MiB plus what tree-sitter allocates before it notices.
#include "flatten.h"

#include <stdio.h>
#include <sys/mman.h>

void ts_set_allocator(void *(*new_malloc)(size_t), void *(*new_calloc)(size_t, size_t),
                      void *(*new_realloc)(void *, size_t), void (*new_free)(void *));
void ts_parser_set_cancellation_flag(TSParser *self, const size_t *flag);

enum {
  header = 16,                   // keeps blocks 16-byte aligned; holds the size
  first_chunk = 64 << 20,        // address space; pages are touched as used
  keep_resident = 16 << 20,      // what stays faulted in between files
  default_budget = first_chunk,  // arena bytes a parse may take before falling back
  max_chunks = 40,
};

typedef struct {
  char *base;
  size_t cap;
} chunk;

struct q4c_arena {
  chunk chunks[max_chunks];
  int nchunks;
  int cur;           // chunk being filled
  size_t used;       // bytes used in chunks[cur]
  size_t high;       // most bytes used in chunks[0] since it was trimmed
  char *last;        // the newest block, which realloc may grow in place
  size_t mapped;     // bytes in all chunks
  size_t budget;     // past it the parse is cancelled
  size_t cancelled;  // tree-sitter's cancellation flag
};

// The arena of the parse running on this thread, if any. It is set and
// cleared within one cgo call, so a goroutine moving between threads never
// sees another's.
static __thread q4c_arena *current;

static _Noreturn void out_of_memory(size_t size) {
  fprintf(stderr, "tree-sitter failed to allocate %zu bytes\n", size);
  abort();
}

static bool add_chunk(q4c_arena *a, size_t min) {
  if (a->nchunks == max_chunks) return false;
  size_t cap = a->nchunks == 0 ? first_chunk : a->chunks[a->nchunks - 1].cap * 2;
  while (cap < min) cap *= 2;
  void *p = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return false;
#ifdef MADV_HUGEPAGE
  madvise(p, cap, MADV_HUGEPAGE);
#endif
  a->chunks[a->nchunks++] = (chunk){p, cap};
  a->mapped += cap;
  // tree-sitter checks the flag every hundred parse actions; the arena
  // serves allocations until then.
  if (a->mapped > a->budget) a->cancelled = 1;
  return true;
}

static size_t round16(size_t n) { return (n + 15) & ~(size_t)15; }

static void *arena_alloc(q4c_arena *a, size_t size) {
  size_t need = header + round16(size);
  if (need < size) out_of_memory(size);
  while (a->chunks[a->cur].cap - a->used < need) {
    if (a->cur + 1 == a->nchunks && !add_chunk(a, need)) out_of_memory(size);
    a->cur++;
    a->used = 0;
  }
  char *block = a->chunks[a->cur].base + a->used;
  a->used += need;
  if (a->cur == 0 && a->used > a->high) a->high = a->used;
  *(size_t *)block = size;
  a->last = block;
  return block + header;
}

static bool owns(const q4c_arena *a, const void *p) {
  for (int i = 0; i < a->nchunks; i++) {
    const char *b = a->chunks[i].base;
    if ((const char *)p >= b && (const char *)p < b + a->chunks[i].cap) return true;
  }
  return false;
}

static void *q4c_malloc(size_t size) {
  if (current) return arena_alloc(current, size);
  void *p = malloc(size);
  if (p == NULL && size > 0) out_of_memory(size);
  return p;
}

static void *q4c_calloc(size_t n, size_t size) {
  if (current) {
    size_t total = n * size;
    if (size != 0 && total / size != n) out_of_memory(SIZE_MAX);
    // The arena's memory is reused from file to file: clear it.
    return memset(arena_alloc(current, total), 0, total);
  }
  void *p = calloc(n, size);
  if (p == NULL && n > 0 && size > 0) out_of_memory(n * size);
  return p;
}

static void *q4c_realloc(void *old, size_t size) {
  q4c_arena *a = current;
  if (a && old == NULL) return arena_alloc(a, size);
  if (a && owns(a, old)) {
    char *block = (char *)old - header;
    size_t was = *(size_t *)block;
    if (block == a->last && round16(size) >= size) {
      // The newest block grows in place while its chunk has room: the
      // common case of an array being appended to.
      size_t end = (size_t)(block - a->chunks[a->cur].base) + header + round16(size);
      if (end <= a->chunks[a->cur].cap) {
        a->used = end;
        if (a->cur == 0 && a->used > a->high) a->high = a->used;
        *(size_t *)block = size;
        return old;
      }
    }
    void *p = arena_alloc(a, size);
    memcpy(p, old, was < size ? was : size);
    return p;
  }
  void *p = realloc(old, size);
  if (p == NULL && size > 0) out_of_memory(size);
  return p;
}

static void q4c_free(void *p) {
  if (p == NULL || (current && owns(current, p))) return;
  free(p);
}

void q4c_install_allocator(void) { ts_set_allocator(q4c_malloc, q4c_calloc, q4c_realloc, q4c_free); }

q4c_arena *q4c_arena_new(void) {
  q4c_arena *a = calloc(1, sizeof(q4c_arena));
  if (a == NULL) return NULL;
  a->budget = default_budget;
  if (!add_chunk(a, 0)) {
    free(a);
    return NULL;
  }
  return a;
}

void q4c_arena_set_budget(q4c_arena *a, size_t budget) { a->budget = budget; }

// reset drops everything allocated in a and keeps the first chunk, with at
// most keep_resident bytes of it faulted in, for the next file.
static void reset(q4c_arena *a) {
  for (int i = 1; i < a->nchunks; i++) munmap(a->chunks[i].base, a->chunks[i].cap);
  a->nchunks = 1;
  a->mapped = a->chunks[0].cap;
  if (a->high > keep_resident) {
    madvise(a->chunks[0].base + keep_resident, a->high - keep_resident, MADV_DONTNEED);
    a->high = keep_resident;
  }
  a->cur = 0;
  a->used = 0;
  a->last = NULL;
  a->cancelled = 0;
}

void q4c_arena_delete(q4c_arena *a) {
  if (a == NULL) return;
  reset(a);
  munmap(a->chunks[0].base, a->chunks[0].cap);
  free(a);
}

// q4c_parse parses src. With *in_arena set, the tree lives in a until
// q4c_release; otherwise the arena passed its budget and the file was parsed
// again with malloc. NULL: tree-sitter gave up (timeout).
TSTree *q4c_parse(q4c_arena *a, const char *src, uint32_t len, uint64_t timeout_micros, bool *in_arena) {
  *in_arena = true;
  current = a;
  TSParser *p = q4c_parser_new(timeout_micros);
  if (p == NULL) {
    current = NULL;
    return NULL;
  }
  ts_parser_set_cancellation_flag(p, &a->cancelled);
  TSTree *t = ts_parser_parse_string(p, NULL, src, len);
  // Releases the external scanner's state, which it keeps with malloc.
  ts_parser_delete(p);
  current = NULL;
  if (t != NULL || !a->cancelled) return t;
  reset(a);
  *in_arena = false;
  p = q4c_parser_new(timeout_micros);
  if (p == NULL) return NULL;
  t = ts_parser_parse_string(p, NULL, src, len);
  ts_parser_delete(p);
  return t;
}

// q4c_release frees a tree that q4c_parse returned.
void q4c_release(q4c_arena *a, TSTree *t, bool in_arena) {
  if (t != NULL && !in_arena) ts_tree_delete(t);
  reset(a);
}
