// Flattens the named nodes of a tree-sitter syntax tree into a preorder
// array in a single call, so that Go code can walk the tree without crossing
// cgo for every node.
#include "flatten.h"

TSParser *q4c_parser_new(uint64_t timeout_micros) {
  TSParser *p = ts_parser_new();
  if (p == NULL) return NULL;
  if (!ts_parser_set_language(p, tree_sitter_python())) {
    ts_parser_delete(p);
    return NULL;
  }
  ts_parser_set_timeout_micros(p, timeout_micros);
  return p;
}

bool q4c_tree_has_error(TSTree *t) { return ts_node_has_error(ts_tree_root_node(t)); }

// q4c_flatten writes up to cap named nodes of t in preorder and returns how
// many there are; the caller retries with a larger buffer when the result
// exceeds cap. Comments are dropped: they carry no semantics here and would
// shift the position of children. Named descendants of anonymous nodes are
// attached to the nearest named ancestor.
// plain_string reports whether the string literal at [start, end) has no
// f prefix, so its children (quotes, contents, escapes) carry nothing.
static bool plain_string(const char *src, uint32_t start, uint32_t end) {
  for (uint32_t i = start; i < end; i++) {
    char c = src[i];
    if (c == '"' || c == '\'') return true;
    if (c == 'f' || c == 'F') return false;
  }
  return true;
}

// kinds maps every grammar symbol (65536 entries) and fields every field id
// below nfields to the Go package's Kind and Field.
long q4c_flatten(TSTree *t, const char *src, uint16_t comment_symbol, uint16_t string_symbol, const uint8_t *kinds,
                 const uint8_t *fields, uint32_t nfields, q4c_node *out, long cap) {
  TSTreeCursor c = ts_tree_cursor_new(ts_tree_root_node(t));
  long n = 0;
  // open[d] is the output index of the named node entered at cursor depth d,
  // or -1 when the node at that depth was not emitted.
  long open_small[256];
  long *open = open_small;
  long open_cap = 256;
  int depth = 0;
  bool oom = false;
  for (;;) {
    TSNode nd = ts_tree_cursor_current_node(&c);
    long idx = -1;
    TSSymbol sym = ts_node_symbol(nd);
    bool descend = true;
    if (ts_node_is_named(nd)) {
      if (sym == comment_symbol) {
        descend = false;
      } else {
        if (sym == string_symbol && plain_string(src, ts_node_start_byte(nd), ts_node_end_byte(nd))) descend = false;
        idx = n;
        if (n < cap) {
          TSPoint sp = ts_node_start_point(nd), ep = ts_node_end_point(nd);
          q4c_node *o = &out[n];
          TSFieldId f = ts_tree_cursor_current_field_id(&c);
          o->kind = kinds[sym];
          o->field = f < nfields ? fields[f] : 0;
          o->flags = (ts_node_is_missing(nd) ? 1 : 0) | (sym == (TSSymbol)-1 ? 2 : 0) | (ts_node_has_error(nd) ? 4 : 0);
          o->pad = 0;
          o->start = ts_node_start_byte(nd);
          o->end = ts_node_end_byte(nd);
          o->start_row = sp.row;
          o->end_row = ep.row;
          o->next = 0;
        }
        n++;
      }
    }
    if (depth >= open_cap) {
      long ncap = open_cap * 2;
      long *grown = malloc(sizeof(long) * ncap);
      if (grown == NULL) { oom = true; break; }
      memcpy(grown, open, sizeof(long) * open_cap);
      if (open != open_small) free(open);
      open = grown;
      open_cap = ncap;
    }
    open[depth] = idx;
    if (descend && ts_tree_cursor_goto_first_child(&c)) {
      depth++;
      continue;
    }
    // Leaving nodes: close every emitted node whose subtree is finished.
    for (;;) {
      long done = open[depth];
      if (done >= 0 && done < cap) out[done].next = (uint32_t)n;
      if (ts_tree_cursor_goto_next_sibling(&c)) break;
      if (!ts_tree_cursor_goto_parent(&c)) goto finished;
      depth--;
    }
  }
finished:
  if (open != open_small) free(open);
  ts_tree_cursor_delete(&c);
  return oom ? -1 : n;
}

uint32_t q4c_symbol_count(void) { return ts_language_symbol_count(tree_sitter_python()); }
const char *q4c_symbol_name(uint16_t s) { return ts_language_symbol_name(tree_sitter_python(), s); }
uint32_t q4c_field_count(void) { return ts_language_field_count(tree_sitter_python()); }
const char *q4c_field_name(uint16_t f) { return ts_language_field_name_for_id(tree_sitter_python(), f); }
