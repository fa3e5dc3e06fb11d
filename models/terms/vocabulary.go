package terms

// Vocabulary is a type of term's values in the order pages offer them, each with its label: one
// table instead of a list and a switch that must agree. The case files' own terms use it too.
type Vocabulary[T ~string] []Term[T]

// Term is one value and its label.
type Term[T ~string] struct {
	Value T
	Label string
}

// Values lists the values in order.
func (v Vocabulary[T]) Values() []T {
	out := make([]T, 0, len(v))
	for _, t := range v {
		out = append(out, t.Value)
	}
	return out
}

// Label is x's label, or other when x is not in the vocabulary.
func (v Vocabulary[T]) Label(x T, other string) string {
	for _, t := range v {
		if t.Value == x {
			return t.Label
		}
	}
	return other
}
