package terms_test

import (
	"testing"

	"github.com/msptp/msphub/models/terms"
)

func TestNationalitiesAreISO3166SortedByName(t *testing.T) {
	list := terms.Nationalities()
	if len(list) != 249 {
		t.Fatalf("got %d countries, want the 249 of ISO 3166-1", len(list))
	}
	seen := map[string]bool{}
	for i, c := range list {
		if len(c.Code) != 2 || c.Code[0] < 'A' || c.Code[0] > 'Z' || c.Code[1] < 'A' || c.Code[1] > 'Z' {
			t.Errorf("code %q is not two capital letters", c.Code)
		}
		if seen[c.Code] {
			t.Errorf("code %s twice", c.Code)
		}
		seen[c.Code] = true
		if i > 0 && list[i-1].Name == c.Name {
			t.Errorf("name %s twice", c.Name)
		}
	}
	if list[0].Name != "Afghanistan" || list[1].Name != "Åland Islands" || list[len(list)-1].Name != "Zimbabwe" {
		t.Errorf("not sorted by name: first %s, %s, last %s", list[0].Name, list[1].Name, list[len(list)-1].Name)
	}
	list[0].Name = "changed"
	if terms.Nationalities()[0].Name != "Afghanistan" {
		t.Error("Nationalities hands out its own slice")
	}
}

func TestNationalityLooksUpTheCodeWhateverItsCase(t *testing.T) {
	for _, code := range []string{"GB", "gb", "Gb", " gb "} {
		c, ok := terms.Nationality(code)
		if !ok || c.Code != "GB" || c.Name != "United Kingdom" {
			t.Errorf("Nationality(%q) = %+v, %v; want GB United Kingdom", code, c, ok)
		}
	}
	if c, ok := terms.Nationality("al"); !ok || c.Name != "Albania" {
		t.Errorf("Nationality(al) = %+v, %v", c, ok)
	}
	for _, code := range []string{"", "UK", "XX", "GBR", "g"} {
		if _, ok := terms.Nationality(code); ok {
			t.Errorf("Nationality(%q) found a country", code)
		}
	}
}
