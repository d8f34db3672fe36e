#ifndef Q4C_FLATTEN_H
#define Q4C_FLATTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// The few tree-sitter types this package needs, as declared in tree-sitter's
// api.h (ABI-stable). The runtime itself is linked in from
// github.com/smacker/go-tree-sitter and the grammar from its python package.
typedef uint16_t TSSymbol;
typedef uint16_t TSFieldId;
typedef struct TSLanguage TSLanguage;
typedef struct TSParser TSParser;
typedef struct TSTree TSTree;
typedef struct { uint32_t row; uint32_t column; } TSPoint;
typedef struct { uint32_t context[4]; const void *id; const TSTree *tree; } TSNode;
typedef struct { const void *tree; const void *id; uint32_t context[3]; } TSTreeCursor;

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

const TSLanguage *q4c_language(void);
TSParser *q4c_parser_new(uint64_t timeout_micros);
void q4c_parser_delete(TSParser *p);
TSTree *q4c_parse(TSParser *p, const char *src, uint32_t len);
void q4c_tree_delete(TSTree *t);
bool q4c_tree_has_error(TSTree *t);
long q4c_flatten(TSTree *t, const char *src, uint16_t comment_symbol, uint16_t string_symbol, const uint8_t *kinds,
                 const uint8_t *fields, uint32_t nfields, q4c_node *out, long cap);
uint32_t q4c_symbol_count(void);
const char *q4c_symbol_name(uint16_t s);
uint32_t q4c_field_count(void);
const char *q4c_field_name(uint16_t f);

#endif
