#ifndef Q4C_FLATTEN_H
#define Q4C_FLATTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// The few tree-sitter types and functions this package needs, declared as
// in tree-sitter's api.h; the runtime itself is linked in from
// github.com/smacker/go-tree-sitter and the grammar from its python package.
// cgo cannot put another module's directory on the include path, so
// TestDeclarationsMatchTreeSitterHeader compiles these declarations
// against the module's api.h: a prototype that differs is a compile error,
// and the structs (declared under other names there, via TS_DECLARED) must
// match the real ones field by field. A dependency bump that changes a
// layout (TSTreeCursor has changed size across releases) fails that test
// instead of corrupting memory.
#ifdef Q4C_LAYOUT_CHECK
#define TS_DECLARED(name) q4c_declared_##name
#else
#define TS_DECLARED(name) name
#endif
typedef uint16_t TSSymbol;
typedef uint16_t TSFieldId;
typedef struct TSLanguage TSLanguage;
typedef struct TSParser TSParser;
typedef struct TSTree TSTree;
typedef struct { uint32_t row; uint32_t column; } TS_DECLARED(TSPoint);
typedef struct { uint32_t context[4]; const void *id; const TSTree *tree; } TS_DECLARED(TSNode);
typedef struct { const void *tree; const void *id; uint32_t context[3]; } TS_DECLARED(TSTreeCursor);

const TSLanguage *tree_sitter_python(void);
TSParser *ts_parser_new(void);
void ts_parser_delete(TSParser *self);
bool ts_parser_set_language(TSParser *self, const TSLanguage *language);
void ts_parser_set_timeout_micros(TSParser *self, uint64_t timeout_micros);
void ts_parser_reset(TSParser *self);
TSTree *ts_parser_parse_string(TSParser *self, const TSTree *old_tree, const char *string, uint32_t length);
void ts_tree_delete(TSTree *self);
TSNode ts_tree_root_node(const TSTree *self);
TSTreeCursor ts_tree_cursor_new(TSNode node);
void ts_tree_cursor_delete(TSTreeCursor *self);
TSNode ts_tree_cursor_current_node(const TSTreeCursor *self);
TSFieldId ts_tree_cursor_current_field_id(const TSTreeCursor *self);
bool ts_tree_cursor_goto_parent(TSTreeCursor *self);
bool ts_tree_cursor_goto_next_sibling(TSTreeCursor *self);
bool ts_tree_cursor_goto_first_child(TSTreeCursor *self);
TSSymbol ts_node_symbol(TSNode self);
uint32_t ts_node_start_byte(TSNode self);
uint32_t ts_node_end_byte(TSNode self);
TSPoint ts_node_start_point(TSNode self);
TSPoint ts_node_end_point(TSNode self);
bool ts_node_is_named(TSNode self);
bool ts_node_is_missing(TSNode self);
bool ts_node_has_error(TSNode self);
uint32_t ts_language_symbol_count(const TSLanguage *self);
const char *ts_language_symbol_name(const TSLanguage *self, TSSymbol symbol);
uint32_t ts_language_field_count(const TSLanguage *self);
const char *ts_language_field_name_for_id(const TSLanguage *self, TSFieldId id);

// q4c_node has the layout of pyast.Node (checked in Go), so flattening
// writes straight into the Go slice.
typedef struct {
  uint8_t kind;
  uint8_t field;
  uint8_t flags;
  uint8_t pad;
  uint32_t start, end;
  uint32_t start_row, end_row;
  uint32_t next;
} q4c_node;

enum { q4c_node_start_offset = offsetof(q4c_node, start), q4c_node_next_offset = offsetof(q4c_node, next) };

TSParser *q4c_parser_new(uint64_t timeout_micros);
bool q4c_tree_has_error(TSTree *t);
long q4c_flatten(TSTree *t, const char *src, uint16_t comment_symbol, uint16_t string_symbol, const uint8_t *kinds,
                 const uint8_t *fields, uint32_t nfields, q4c_node *out, long cap);
uint32_t q4c_symbol_count(void);
const char *q4c_symbol_name(uint16_t s);
uint32_t q4c_field_count(void);
const char *q4c_field_name(uint16_t f);

#endif
