package core

// FieldError is one thing wrong with one field of a form or request.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Problems collects every error of an input, so that a form reports them all at once (GOV.UK:
// one error summary, not one round trip per mistake). The zero value is ready to use.
//
//	var p core.Problems
//	if in.Name == "" { p.Add("name", "Enter the operation's name") }
//	if err := p.Err(); err != nil { return err }
type Problems struct {
	list  []FieldError
	other error // a failure that is not about the input: Err returns it
}

// Add records message against field. The first message for a field wins: a field shows one
// error at a time.
func (p *Problems) Add(field, message string) {
	for _, f := range p.list {
		if f.Field == field && field != "" {
			return
		}
	}
	p.list = append(p.list, FieldError{Field: field, Message: message})
}

// Check adds err when it is an EINVALID error (with its field), and reports whether err was
// nil. Any other error is kept as it is, so Err returns it.
func (p *Problems) Check(err error) bool {
	if err == nil {
		return true
	}
	if e, ok := err.(*Error); ok && e.Code == EINVALID {
		if len(e.Fields) > 0 {
			for _, f := range e.Fields {
				p.Add(f.Field, f.Message)
			}
		} else {
			p.Add(e.Field, e.Message)
		}
		return false
	}
	if p.other == nil {
		p.other = err
	}
	return false
}

// Len is how many problems were found.
func (p *Problems) Len() int { return len(p.list) }

// Err is nil when nothing was found; otherwise one EINVALID Error whose Field and Message are
// the first problem's and whose Fields list all of them.
func (p *Problems) Err() error {
	if p.other != nil {
		return p.other
	}
	if len(p.list) == 0 {
		return nil
	}
	first := p.list[0]
	return &Error{Code: EINVALID, Field: first.Field, Message: first.Message, Fields: append([]FieldError(nil), p.list...)}
}
