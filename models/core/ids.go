package core

// IDsOf lists the ids that id reads from each of list, in order, for a query "id IN ?".
func IDsOf[T any](list []T, id func(T) int64) []int64 {
	ids := make([]int64, len(list))
	for i, v := range list {
		ids[i] = id(v)
	}
	return ids
}
