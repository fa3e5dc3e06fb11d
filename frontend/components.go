package frontend

// Parameters of the components in templates/components.html, named after the Design System's
// macro options.

// genericHeader is govukGenericHeader: the header for services not on GOV.UK.
type genericHeader struct {
	LogoText string
	URL      string
}

// serviceNavigation is govukServiceNavigation.
type serviceNavigation struct {
	ServiceName string
	ServiceURL  string
	Navigation  []navItem
}

// navItem is one link of the service navigation. Current marks the page being shown; Active
// marks the section it belongs to.
type navItem struct {
	Href, Text      string
	Current, Active bool
}
