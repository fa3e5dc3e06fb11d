package api

// TrainingPages are the pages of training: courses, sessions, enrolments, material and certificates.
type TrainingPages interface {
}
