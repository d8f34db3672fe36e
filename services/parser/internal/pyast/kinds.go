package pyast

// Kind is the type of a syntax node, independent of grammar symbol numbers.
type Kind uint8

// Node kinds of the tree-sitter Python grammar that the extractor tells apart.
// Any other named node is KindOther.
const (
	KindOther Kind = iota
	KindError
	KindModule
	KindIdentifier
	KindInteger
	KindFloat
	KindString
	KindConcatenatedString
	KindStringContent
	KindInterpolation
	KindTrue
	KindFalse
	KindNone
	KindEllipsis
	KindImportStatement
	KindImportFromStatement
	KindFutureImportStatement
	KindImportPrefix
	KindRelativeImport
	KindDottedName
	KindAliasedImport
	KindWildcardImport
	KindExpressionStatement
	KindReturnStatement
	KindDeleteStatement
	KindRaiseStatement
	KindPassStatement
	KindBreakStatement
	KindContinueStatement
	KindIfStatement
	KindElifClause
	KindElseClause
	KindMatchStatement
	KindCaseClause
	KindBlock
	KindForStatement
	KindWhileStatement
	KindTryStatement
	KindExceptClause
	KindExceptGroupClause
	KindFinallyClause
	KindWithStatement
	KindWithClause
	KindWithItem
	KindFunctionDefinition
	KindParameters
	KindLambdaParameters
	KindListSplat
	KindDictionarySplat
	KindGlobalStatement
	KindNonlocalStatement
	KindClassDefinition
	KindArgumentList
	KindDecoratedDefinition
	KindDecorator
	KindExpressionList
	KindAsPattern
	KindTuplePattern
	KindListPattern
	KindDefaultParameter
	KindTypedDefaultParameter
	KindTypedParameter
	KindListSplatPattern
	KindDictionarySplatPattern
	KindNotOperator
	KindBooleanOperator
	KindBinaryOperator
	KindUnaryOperator
	KindComparisonOperator
	KindLambda
	KindAssignment
	KindAugmentedAssignment
	KindPatternList
	KindYield
	KindAttribute
	KindSubscript
	KindSlice
	KindCall
	KindType
	KindKeywordArgument
	KindList
	KindSet
	KindTuple
	KindDictionary
	KindPair
	KindListComprehension
	KindDictionaryComprehension
	KindSetComprehension
	KindGeneratorExpression
	KindParenthesizedExpression
	KindForInClause
	KindIfClause
	KindConditionalExpression
	KindAwait
	KindNamedExpression
	KindKeywordSeparator
	KindPositionalSeparator
	KindAssertStatement
	KindPrintStatement
	KindExecStatement
	KindTypeAliasStatement
	KindParenthesizedListSplat
	KindTypeParameter
	KindEscapeSequence
	KindLineContinuation
	KindStringStart
	KindStringEnd
	KindFormatSpecifier
	KindTypeConversion
	KindChevron
	numKinds
)

var kindByName = map[string]Kind{
	"module":                   KindModule,
	"identifier":               KindIdentifier,
	"integer":                  KindInteger,
	"float":                    KindFloat,
	"string":                   KindString,
	"concatenated_string":      KindConcatenatedString,
	"string_content":           KindStringContent,
	"interpolation":            KindInterpolation,
	"true":                     KindTrue,
	"false":                    KindFalse,
	"none":                     KindNone,
	"ellipsis":                 KindEllipsis,
	"import_statement":         KindImportStatement,
	"import_from_statement":    KindImportFromStatement,
	"future_import_statement":  KindFutureImportStatement,
	"import_prefix":            KindImportPrefix,
	"relative_import":          KindRelativeImport,
	"dotted_name":              KindDottedName,
	"aliased_import":           KindAliasedImport,
	"wildcard_import":          KindWildcardImport,
	"expression_statement":     KindExpressionStatement,
	"return_statement":         KindReturnStatement,
	"delete_statement":         KindDeleteStatement,
	"raise_statement":          KindRaiseStatement,
	"pass_statement":           KindPassStatement,
	"break_statement":          KindBreakStatement,
	"continue_statement":       KindContinueStatement,
	"if_statement":             KindIfStatement,
	"elif_clause":              KindElifClause,
	"else_clause":              KindElseClause,
	"match_statement":          KindMatchStatement,
	"case_clause":              KindCaseClause,
	"block":                    KindBlock,
	"for_statement":            KindForStatement,
	"while_statement":          KindWhileStatement,
	"try_statement":            KindTryStatement,
	"except_clause":            KindExceptClause,
	"except_group_clause":      KindExceptGroupClause,
	"finally_clause":           KindFinallyClause,
	"with_statement":           KindWithStatement,
	"with_clause":              KindWithClause,
	"with_item":                KindWithItem,
	"function_definition":      KindFunctionDefinition,
	"parameters":               KindParameters,
	"lambda_parameters":        KindLambdaParameters,
	"list_splat":               KindListSplat,
	"dictionary_splat":         KindDictionarySplat,
	"global_statement":         KindGlobalStatement,
	"nonlocal_statement":       KindNonlocalStatement,
	"class_definition":         KindClassDefinition,
	"argument_list":            KindArgumentList,
	"decorated_definition":     KindDecoratedDefinition,
	"decorator":                KindDecorator,
	"expression_list":          KindExpressionList,
	"as_pattern":               KindAsPattern,
	"tuple_pattern":            KindTuplePattern,
	"list_pattern":             KindListPattern,
	"default_parameter":        KindDefaultParameter,
	"typed_default_parameter":  KindTypedDefaultParameter,
	"typed_parameter":          KindTypedParameter,
	"list_splat_pattern":       KindListSplatPattern,
	"dictionary_splat_pattern": KindDictionarySplatPattern,
	"not_operator":             KindNotOperator,
	"boolean_operator":         KindBooleanOperator,
	"binary_operator":          KindBinaryOperator,
	"unary_operator":           KindUnaryOperator,
	"comparison_operator":      KindComparisonOperator,
	"lambda":                   KindLambda,
	"assignment":               KindAssignment,
	"augmented_assignment":     KindAugmentedAssignment,
	"pattern_list":             KindPatternList,
	"yield":                    KindYield,
	"attribute":                KindAttribute,
	"subscript":                KindSubscript,
	"slice":                    KindSlice,
	"call":                     KindCall,
	"type":                     KindType,
	"keyword_argument":         KindKeywordArgument,
	"list":                     KindList,
	"set":                      KindSet,
	"tuple":                    KindTuple,
	"dictionary":               KindDictionary,
	"pair":                     KindPair,
	"list_comprehension":       KindListComprehension,
	"dictionary_comprehension": KindDictionaryComprehension,
	"set_comprehension":        KindSetComprehension,
	"generator_expression":     KindGeneratorExpression,
	"parenthesized_expression": KindParenthesizedExpression,
	"for_in_clause":            KindForInClause,
	"if_clause":                KindIfClause,
	"conditional_expression":   KindConditionalExpression,
	"await":                    KindAwait,
	"named_expression":         KindNamedExpression,
	"keyword_separator":        KindKeywordSeparator,
	"positional_separator":     KindPositionalSeparator,
	"assert_statement":         KindAssertStatement,
	"print_statement":          KindPrintStatement,
	"exec_statement":           KindExecStatement,
	"type_alias_statement":     KindTypeAliasStatement,
	"parenthesized_list_splat": KindParenthesizedListSplat,
	"type_parameter":           KindTypeParameter,
	"escape_sequence":          KindEscapeSequence,
	"line_continuation":        KindLineContinuation,
	"string_start":             KindStringStart,
	"string_end":               KindStringEnd,
	"format_specifier":         KindFormatSpecifier,
	"type_conversion":          KindTypeConversion,
	"chevron":                  KindChevron,
}

// Field is the grammar field a child fills in its parent.
type Field uint8

// Grammar fields used by the extractor.
const (
	FieldNone Field = iota
	FieldAlias
	FieldAlternative
	FieldArgument
	FieldArguments
	FieldAttribute
	FieldBody
	FieldCause
	FieldCode
	FieldCondition
	FieldConsequence
	FieldDefinition
	FieldFunction
	FieldKey
	FieldLeft
	FieldModuleName
	FieldName
	FieldObject
	FieldOperator
	FieldParameters
	FieldReturnType
	FieldRight
	FieldSubject
	FieldSubscript
	FieldSuperclasses
	FieldType
	FieldTypeParameters
	FieldValue
	FieldExpression
)

var fieldByName = map[string]Field{
	"alias":           FieldAlias,
	"alternative":     FieldAlternative,
	"argument":        FieldArgument,
	"arguments":       FieldArguments,
	"attribute":       FieldAttribute,
	"body":            FieldBody,
	"cause":           FieldCause,
	"code":            FieldCode,
	"condition":       FieldCondition,
	"consequence":     FieldConsequence,
	"definition":      FieldDefinition,
	"function":        FieldFunction,
	"key":             FieldKey,
	"left":            FieldLeft,
	"module_name":     FieldModuleName,
	"name":            FieldName,
	"object":          FieldObject,
	"operator":        FieldOperator,
	"parameters":      FieldParameters,
	"return_type":     FieldReturnType,
	"right":           FieldRight,
	"subject":         FieldSubject,
	"subscript":       FieldSubscript,
	"superclasses":    FieldSuperclasses,
	"type":            FieldType,
	"type_parameters": FieldTypeParameters,
	"value":           FieldValue,
	"expression":      FieldExpression,
}

// KindName returns the grammar name of k (for debugging and golden dumps).
func KindName(k Kind) string {
	if k == KindError {
		return "ERROR"
	}
	for name, kk := range kindByName {
		if kk == k {
			return name
		}
	}
	return "other"
}
