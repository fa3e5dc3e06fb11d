package api

// CasePages are the pages of case files and CPS evidence packs.
type CasePages interface {
}
