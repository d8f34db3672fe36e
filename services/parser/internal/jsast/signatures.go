package jsast

// tree-sitter's TypeScript grammar reads a type followed by a line break and
// '<' as type arguments: in
//
//	interface Factory {
//	    <T>(fn: T): T
//	    <T>(name: string, fn: T): T
//	}
//
// it takes `T\n<T>` for `T<T>`, where tsc takes no type arguments across a
// line break, and the error swallows the rest of the file (mobx's
// api/action.ts lost every function to it). endMembersBeforeAngles returns
// src with ';' in place of the last indentation byte of each line that
// starts with '<' after a code line (comment lines aside) ending a type (an
// identifier, '>', ']' or ')'), which ends the previous member as tsc's reading does; lengths,
// offsets and lines are unchanged, so the tree still describes src. It
// returns nil when there is no such line.
func endMembersBeforeAngles(src []byte) []byte {
	var out []byte
	prevEnd := byte(0) // last non-blank byte of the previous non-blank line
	for start := 0; start < len(src); {
		end := start
		for end < len(src) && src[end] != '\n' {
			end++
		}
		indent := start
		for indent < end && (src[indent] == ' ' || src[indent] == '\t') {
			indent++
		}
		if indent < end && !isCommentLine(src[indent:end]) {
			if src[indent] == '<' && indent > start && endsType(prevEnd) {
				if out == nil {
					out = append([]byte(nil), src...)
				}
				out[indent-1] = ';'
			}
			last := end - 1
			for last > indent && (src[last] == ' ' || src[last] == '\t' || src[last] == '\r') {
				last--
			}
			prevEnd = src[last]
		}
		start = end + 1
	}
	return out
}

func endsType(c byte) bool {
	return c == '>' || c == ']' || c == ')' || c == '_' || c == '$' ||
		(c >= '0' && c <= '9') || (c|0x20 >= 'a' && c|0x20 <= 'z')
}

// isCommentLine: a line (from its first non-blank byte) that only holds a
// comment, or continues a block comment.
func isCommentLine(line []byte) bool {
	return len(line) > 0 && (line[0] == '*' || (len(line) > 1 && line[0] == '/' && (line[1] == '/' || line[1] == '*')))
}
