package frontend

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/api"
	"github.com/msptp/msphub/models/core"
)

// Start serves the start page.
func (p *Pages) Start() gin.HandlerFunc {
	return func(c *gin.Context) {
		a, ok := api.Actor(c)
		if !ok || !a.MFAPassed {
			p.render(c, http.StatusOK, "start", page{})
			return
		}
		// Signed in: the work that waits on them, as models decides it.
		todo, err := p.s.ToDo(c.Request.Context(), a)
		if err != nil {
			api.WriteError(c, err)
			return
		}
		p.render(c, http.StatusOK, "start", page{Data: startView{ToDo: todo}})
	}
}

// startView is the home page of someone signed in: "Things for you to do".
type startView struct {
	ToDo []core.ToDo
}

// NotFound serves the 404 page for any address that has no route.
func (p *Pages) NotFound() gin.HandlerFunc {
	return func(c *gin.Context) {
		p.RenderError(c, http.StatusNotFound, "")
	}
}

// RenderError renders the error page for status. message is safe to show; the advice follows
// the GOV.UK Design System's error page patterns.
func (p *Pages) RenderError(c *gin.Context, status int, message string) {
	data := page{}
	switch status {
	case http.StatusNotFound:
		data.ErrorTitle = "Page not found"
		data.ErrorAdvice = []string{
			"If you typed the web address, check it is correct.",
			"If you pasted the web address, check you copied the entire address.",
			"If you followed a link to something you used to be able to see, it may have been removed or your access may have changed.",
		}
	case http.StatusInternalServerError:
		data.ErrorTitle = "Sorry, there is a problem with the service"
		data.ErrorAdvice = []string{"Try again later.", message + ". Quote this reference if you contact your MSP Hub administrator."}
	case http.StatusServiceUnavailable:
		data.ErrorTitle = "Sorry, the service is unavailable"
		data.ErrorAdvice = []string{message}
	default:
		data.ErrorTitle = http.StatusText(status)
		data.ErrorAdvice = []string{message}
	}
	data.Title = data.ErrorTitle
	p.render(c, status, "error", data)
}
