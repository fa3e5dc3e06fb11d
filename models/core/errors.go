package core

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Code classifies an Error. api and frontend map each code to one HTTP status, in one place.
type Code string

// The error codes of MSP Hub.
const (
	EINVALID         Code = "invalid"         // bad input: nothing was changed
	EUNAUTHENTICATED Code = "unauthenticated" // no valid session or token
	EFORBIDDEN       Code = "forbidden"       // known to the actor, but not theirs to do
	ENOTFOUND        Code = "not_found"       // missing, or not visible to the actor: never say which
	ECONFLICT        Code = "conflict"        // the state changed, or the action does not fit it
	ETOOLARGE        Code = "too_large"       // over a size limit
	ETOOMANY         Code = "too_many"        // throttled: wait (RetryAfter) and try again
	EUNAVAILABLE     Code = "unavailable"     // a dependency (database, blob store) is down: try again
	EINTEGRITY       Code = "integrity"       // a stored file failed its check and was not served
	EINTERNAL        Code = "internal"        // anything else: logged, never shown
)

// Error is the one error type models returns. Message is safe to show to the user; the
// wrapped cause (if any) is for the log only.
type Error struct {
	Code    Code
	Message string // safe to show to the user
	Field   string // for EINVALID, the offending field
	// Fields, for EINVALID from Problems, lists every problem of the input (Field and Message
	// are the first of them).
	Fields []FieldError
	// RetryAfter, for ETOOMANY, is how long to wait before trying again.
	RetryAfter time.Duration
	cause      error
}

func (e *Error) Error() string {
	if e.cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.cause)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap exposes the cause to errors.Is and errors.As.
func (e *Error) Unwrap() error { return e.cause }

// ErrorCode returns the code of err: EINTERNAL for anything that is not an *Error.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-safe message of err; for anything that is not an *Error it says
// nothing about the cause.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != EINTERNAL {
		return e.Message
	}
	return "Something went wrong"
}

// Invalid reports bad input in field.
func Invalid(field, message string) error {
	return &Error{Code: EINVALID, Field: field, Message: message}
}

// CheckText checks a free-text field: it trims *v, which must then not be empty if required
// (enter is the message when it is) and be at most max characters (name starts the message when
// it is longer: "Description must be 2000 characters or fewer").
func CheckText(field string, v *string, max int, required bool, enter, name string) error {
	*v = strings.TrimSpace(*v)
	if required && *v == "" {
		return Invalid(field, enter)
	}
	if utf8.RuneCountInString(*v) > max {
		return Invalid(field, fmt.Sprintf("%s must be %d characters or fewer", name, max))
	}
	return nil
}

// Unauthenticated asks the caller to sign in.
func Unauthenticated(message string) error {
	return &Error{Code: EUNAUTHENTICATED, Message: message}
}

// Forbidden refuses an action the actor can see but may not take.
func Forbidden(message string) error {
	return &Error{Code: EFORBIDDEN, Message: message}
}

// NotFound says a thing is missing or not visible, without saying which.
func NotFound(message string) error {
	return &Error{Code: ENOTFOUND, Message: message}
}

// Conflict refuses an action that does not fit the current state.
func Conflict(message string) error {
	return &Error{Code: ECONFLICT, Message: message}
}

// TooLarge refuses input over a size limit.
func TooLarge(message string) error {
	return &Error{Code: ETOOLARGE, Message: message}
}

// Unavailable reports that a dependency is down; the user may try again shortly.
func Unavailable(message string, cause error) error {
	return &Error{Code: EUNAVAILABLE, Message: message, cause: cause}
}

// Integrity reports a stored file that failed its integrity check: nothing of it is served. The
// cause (which object, what failed) goes to the log.
func Integrity(cause error) error {
	return &Error{Code: EINTEGRITY, cause: cause,
		Message: "This file failed its integrity check, so it has not been served. The failure has been recorded: tell your system administrator"}
}

// Internal wraps an unexpected failure; the cause goes to the log, never to the user.
func Internal(cause error) error {
	return &Error{Code: EINTERNAL, Message: "Something went wrong", cause: cause}
}
