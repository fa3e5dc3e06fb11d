package api

// GuidancePages are the pages of the guidance library.
type GuidancePages interface {
}
