package pipeline

// exclusion is why a function is left out of the dataset.
type exclusion struct {
	reason string
	detail string
}

// recordID is the id of the function's record (or of its excluded.jsonl entry).
func (f *fnState) recordID() string { return f.repo.name + ":" + f.fn.GetId() }
