package identity

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/policies"
)

// OrganisationInput is what an administrator gives to add or change an organisation.
type OrganisationInput struct {
	Name   string       `json:"name"`
	Kind   core.OrgKind `json:"kind"`
	Region string       `json:"region"`
	// ROCUID is, for a police force, the regional organised crime unit it works with (DOMAIN.md
	// §F5: a ROCU's coverage is not always one police region). Zero: none.
	ROCUID int64 `json:"rocu_id,omitempty"`
}

// validate checks in, every field at once; self is the organisation being changed (0: a new one).
func (o *Organisations) validate(ctx context.Context, in *OrganisationInput, self int64) error {
	in.Name = strings.TrimSpace(in.Name)
	in.Region = strings.TrimSpace(in.Region)
	var p core.Problems
	switch {
	case in.Name == "":
		p.Add("name", "Enter the organisation's name")
	case len(in.Name) > 200:
		p.Add("name", "Name must be 200 characters or fewer")
	}
	if !slices.Contains(core.OrgKinds(), in.Kind) {
		p.Add("kind", "Select what kind of organisation it is")
	}
	if len(in.Region) > 100 {
		p.Add("region", "Region must be 100 characters or fewer")
	}
	if in.ROCUID != 0 {
		if in.Kind != core.KindPoliceForce {
			p.Add("rocu_id", "Only a police force works with a regional organised crime unit: choose none")
		} else if rocu, err := o.get(ctx, in.ROCUID); err != nil || rocu.Kind != core.KindROCU || !rocu.Active || rocu.ID == self {
			p.Add("rocu_id", "Choose an active regional organised crime unit from the list")
		}
	}
	return p.Err()
}

// rocuRef is the column value of a ROCU id: NULL for none.
func rocuRef(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// Organisations holds the operations on organisations.
type Organisations struct {
	d     core.Deps
	audit *core.Audit
}

// List returns the organisations, active ones only unless includeInactive, ordered by kind and
// name. Anyone signed in may list them (to choose a CPS area, say). The list is reference data of
// about seventy rows, so it is not paged.
func (o *Organisations) List(ctx context.Context, who core.Actor, includeInactive bool) ([]core.Organisation, error) {
	if err := o.MayRead(ctx, who); err != nil {
		return nil, err
	}
	q := o.d.DB.Conn(ctx).Order("kind, name")
	if !includeInactive {
		q = q.Where("active = ?", true)
	}
	var out []core.Organisation
	if err := q.Find(&out).Error; err != nil {
		return nil, core.DBError(err)
	}
	kindOrder := func(k core.OrgKind) int { return slices.Index(core.OrgKinds(), k) }
	slices.SortStableFunc(out, func(a, b core.Organisation) int { return kindOrder(a.Kind) - kindOrder(b.Kind) })
	return out, nil
}

// MayRead says whether the actor may see organisations, without reading them. Errors:
// EFORBIDDEN.
func (o *Organisations) MayRead(ctx context.Context, who core.Actor) error {
	return core.Can(ctx, o.d.Authz, who, policies.ActRead, policies.Object{Type: "organisation"}, "You cannot see organisations.")
}

// Get returns one organisation. Errors: ENOTFOUND.
func (o *Organisations) Get(ctx context.Context, who core.Actor, id int64) (core.Organisation, error) {
	if err := o.MayRead(ctx, who); err != nil {
		return core.Organisation{}, err
	}
	return o.get(ctx, id)
}

// MayManage says whether the actor may add and change organisations (what the add and edit
// pages offer). Errors: EFORBIDDEN.
// Actions says what the actor may do with the organisations: create (add one), update (change
// or deactivate one). Pages offer buttons from it; the operations decide again.
func (o *Organisations) Actions(ctx context.Context, who core.Actor) core.Actions {
	may := func(act policies.Action) bool {
		return o.d.Authz.Can(ctx, who.Subject(), act, policies.Object{Type: "organisation"}) == nil
	}
	return core.Actions{Create: may(policies.ActCreate), Update: may(policies.ActUpdate)}
}

func (o *Organisations) MayManage(ctx context.Context, who core.Actor) error {
	return core.Can(ctx, o.d.Authz, who, policies.ActUpdate, policies.Object{Type: "organisation"}, "Only administrators can add or change organisations.")
}

func (o *Organisations) get(ctx context.Context, id int64) (core.Organisation, error) {
	return core.TakeRow[core.Organisation](ctx, o.d.DB, id, false, "Organisation not found")
}

// Create adds an organisation. Only administrators may. Errors: EFORBIDDEN, EINVALID,
// ECONFLICT (the name is taken).
func (o *Organisations) Create(ctx context.Context, who core.Actor, in OrganisationInput) (core.Organisation, error) {
	var org core.Organisation
	err := o.d.DB.InTx(ctx, func(ctx context.Context) error {
		core.Changed(ctx, core.Organisations)
		if err := core.Can(ctx, o.d.Authz, who, policies.ActCreate, policies.Object{Type: "organisation"}, "Only administrators can add organisations."); err != nil {
			return err
		}
		if err := o.validate(ctx, &in, 0); err != nil {
			return err
		}
		now := o.d.Now()
		org = core.Organisation{Slug: slugify(in.Name), Name: in.Name, Kind: in.Kind, Region: in.Region, ROCUID: rocuRef(in.ROCUID), Active: true, CreatedAt: now, UpdatedAt: now}
		if err := o.uniqueName(ctx, org.Name, org.Slug, 0); err != nil {
			return err
		}
		if err := o.d.DB.Conn(ctx).Create(&org).Error; err != nil {
			return core.DBError(err)
		}
		return o.audit.Record(ctx, &who, core.Event{Action: "organisation.create", ObjectType: "organisation",
			ObjectID: strconv.FormatInt(org.ID, 10), Outcome: core.OutcomeSuccess,
			Details: map[string]string{"name": org.Name, "kind": string(org.Kind)}})
	})
	return org, err
}

// change runs fn on organisation id, loaded for an administrator to change, in one transaction,
// and returns the organisation as fn leaves it. Errors: EFORBIDDEN, ENOTFOUND, and fn's.
func (o *Organisations) change(ctx context.Context, who core.Actor, id int64, fn func(ctx context.Context, org *core.Organisation) error) (core.Organisation, error) {
	var org core.Organisation
	err := o.d.DB.InTx(ctx, func(ctx context.Context) error {
		core.Changed(ctx, core.Organisations)
		if err := core.Can(ctx, o.d.Authz, who, policies.ActUpdate, policies.Object{Type: "organisation"}, "Only administrators can change organisations."); err != nil {
			return err
		}
		// Locked for the rest of the transaction: what fn saves never writes back what another
		// transaction changed meanwhile.
		var err error
		if org, err = core.TakeRow[core.Organisation](ctx, o.d.DB, id, true, "Organisation not found"); err != nil {
			return err
		}
		return fn(ctx, &org)
	})
	return org, err
}

// Update renames an organisation or changes its kind or region; its slug, which links and
// exports use, stays. Only administrators may. Errors: EFORBIDDEN, ENOTFOUND, EINVALID,
// ECONFLICT.
func (o *Organisations) Update(ctx context.Context, who core.Actor, id int64, in OrganisationInput) (core.Organisation, error) {
	return o.change(ctx, who, id, func(ctx context.Context, org *core.Organisation) error {
		if err := o.validate(ctx, &in, id); err != nil {
			return err
		}
		if err := o.uniqueName(ctx, in.Name, "", id); err != nil {
			return err
		}
		details := map[string]string{}
		if org.Name != in.Name {
			details["name"] = org.Name + " → " + in.Name
		}
		if org.Kind != in.Kind {
			details["kind"] = string(org.Kind) + " → " + string(in.Kind)
		}
		if org.Region != in.Region {
			details["region"] = org.Region + " → " + in.Region
		}
		if old, now := org.ROCU(), in.ROCUID; old != now {
			details["rocu_id"] = strconv.FormatInt(old, 10) + " → " + strconv.FormatInt(now, 10)
		}
		org.Name, org.Kind, org.Region, org.ROCUID, org.UpdatedAt = in.Name, in.Kind, in.Region, rocuRef(in.ROCUID), o.d.Now()
		if err := o.d.DB.Conn(ctx).Save(org).Error; err != nil {
			return core.DBError(err)
		}
		return o.audit.Record(ctx, &who, core.Event{Action: "organisation.update", ObjectType: "organisation",
			ObjectID: strconv.FormatInt(org.ID, 10), Outcome: core.OutcomeSuccess, Details: details})
	})
}

// SetActive deactivates or reactivates an organisation. The people of a deactivated
// organisation cannot sign in and their sessions and tokens stop working; nothing of theirs is
// deleted. Only administrators may, and not for their own organisation. Errors: EFORBIDDEN,
// ENOTFOUND, ECONFLICT.
func (o *Organisations) SetActive(ctx context.Context, who core.Actor, id int64, active bool) (core.Organisation, error) {
	return o.change(ctx, who, id, func(ctx context.Context, org *core.Organisation) error {
		if !active && org.ID == who.OrgID {
			return core.Conflict("You cannot deactivate your own organisation.")
		}
		if org.Active == active {
			return nil
		}
		org.Active, org.UpdatedAt = active, o.d.Now()
		if err := o.d.DB.Conn(ctx).Save(org).Error; err != nil {
			return core.DBError(err)
		}
		action := "organisation.reactivate"
		if !active {
			action = "organisation.deactivate"
			if err := o.d.DB.Conn(ctx).Exec("DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE organisation_id = ?)", org.ID).Error; err != nil {
				return core.DBError(err)
			}
		}
		return o.audit.Record(ctx, &who, core.Event{Action: action, ObjectType: "organisation",
			ObjectID: strconv.FormatInt(org.ID, 10), Outcome: core.OutcomeSuccess, Details: map[string]string{"name": org.Name}})
	})
}

func (o *Organisations) uniqueName(ctx context.Context, name, slug string, except int64) error {
	var n int64
	q := o.d.DB.Conn(ctx).Model(&core.Organisation{}).Where("id <> ?", except)
	if slug != "" {
		q = q.Where("LOWER(name) = ? OR slug = ?", strings.ToLower(name), slug)
	} else {
		q = q.Where("LOWER(name) = ?", strings.ToLower(name))
	}
	if err := q.Count(&n).Error; err != nil {
		return core.DBError(err)
	}
	if n > 0 {
		return &core.Error{Code: core.ECONFLICT, Field: "name", Message: "An organisation with this name already exists"}
	}
	return nil
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// slugify makes the stable short name of an organisation: "Devon & Cornwall Police" becomes
// "devon-cornwall-police".
func slugify(name string) string {
	s := strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(name), "-"), "-")
	if len(s) > 100 {
		s = strings.TrimRight(s[:100], "-")
	}
	return s
}

// referenceOrganisations are loaded on first start (DOMAIN.md §D3, §F5 and DESIGN.md §1): the 43
// territorial police forces of England and Wales by police region, British Transport Police, the
// regional organised crime units, the national agencies and partners, the fourteen CPS areas and
// the programme's own unit. rocuOf names the ROCU each force works with.
func referenceOrganisations() (orgs []OrganisationInput, rocuOf map[string]string) {
	const (
		northWest = "North West Regional Organised Crime Unit (TITAN)"
		tarian    = "Tarian Regional Organised Crime Unit"
	)
	// A region's ROCU; London has none (the Metropolitan Police and the City of London Police
	// are the London region), and Wales has two ROCUs' coverage.
	rocus := []struct{ region, name string }{
		{"North East", "North East Regional Organised Crime Unit"}, {"North West", northWest},
		{"Yorkshire and the Humber", "Yorkshire and the Humber Regional Organised Crime Unit"},
		{"East Midlands", "East Midlands Regional Organised Crime Unit"}, {"West Midlands", "West Midlands Regional Organised Crime Unit"},
		{"Eastern", "Eastern Regional Organised Crime Unit"}, {"South East", "South East Regional Organised Crime Unit"},
		{"South West", "South West Regional Organised Crime Unit"}, {"Wales", tarian},
	}
	forces := []struct {
		region string
		names  []string
	}{
		{"North East", []string{"Cleveland Police", "Durham Constabulary", "Northumbria Police"}},
		{"North West", []string{"Cheshire Constabulary", "Cumbria Constabulary", "Greater Manchester Police", "Lancashire Constabulary", "Merseyside Police"}},
		{"Yorkshire and the Humber", []string{"Humberside Police", "North Yorkshire Police", "South Yorkshire Police", "West Yorkshire Police"}},
		{"East Midlands", []string{"Derbyshire Constabulary", "Leicestershire Police", "Lincolnshire Police", "Northamptonshire Police", "Nottinghamshire Police"}},
		{"West Midlands", []string{"Staffordshire Police", "Warwickshire Police", "West Mercia Police", "West Midlands Police"}},
		{"Eastern", []string{"Bedfordshire Police", "Cambridgeshire Constabulary", "Essex Police", "Hertfordshire Constabulary", "Norfolk Constabulary", "Suffolk Constabulary"}},
		{"London", []string{"Metropolitan Police Service", "City of London Police"}},
		{"South East", []string{"Hampshire and Isle of Wight Constabulary", "Kent Police", "Surrey Police", "Sussex Police", "Thames Valley Police"}},
		{"South West", []string{"Avon and Somerset Police", "Devon and Cornwall Police", "Dorset Police", "Gloucestershire Constabulary", "Wiltshire Police"}},
		{"Wales", []string{"Dyfed-Powys Police", "Gwent Police", "North Wales Police", "South Wales Police"}},
	}
	rocuOf = map[string]string{"North Wales Police": northWest} // [verify] with the Tarian and TITAN coverage
	for _, f := range forces {
		for _, n := range f.names {
			orgs = append(orgs, OrganisationInput{Name: n, Kind: core.KindPoliceForce, Region: f.region})
			for _, r := range rocus {
				if _, set := rocuOf[n]; !set && r.region == f.region {
					rocuOf[n] = r.name
				}
			}
		}
	}
	orgs = append(orgs, OrganisationInput{Name: "British Transport Police", Kind: core.KindPoliceForce, Region: "National"})
	for _, r := range rocus {
		orgs = append(orgs, OrganisationInput{Name: r.name, Kind: core.KindROCU, Region: r.region})
	}
	for _, n := range []string{"National Crime Agency", "Gangmasters and Labour Abuse Authority", "HM Revenue and Customs",
		"Department for Work and Pensions", "Border Force", "Immigration Enforcement", "National Police Chiefs' Council"} {
		orgs = append(orgs, OrganisationInput{Name: n, Kind: core.KindAgency, Region: "National"})
	}
	for _, area := range []struct{ name, region string }{
		{"CPS Cymru-Wales", "Wales"}, {"CPS East Midlands", "East Midlands"}, {"CPS East of England", "Eastern"},
		{"CPS London North", "London"}, {"CPS London South", "London"}, {"CPS Mersey-Cheshire", "North West"},
		{"CPS North East", "North East"}, {"CPS North West", "North West"}, {"CPS South East", "South East"},
		{"CPS South West", "South West"}, {"CPS Thames and Chiltern", "South East"}, {"CPS Wessex", "South West"},
		{"CPS West Midlands", "West Midlands"}, {"CPS Yorkshire and Humberside", "Yorkshire and the Humber"},
	} {
		orgs = append(orgs, OrganisationInput{Name: area.name, Kind: core.KindCPS, Region: area.region})
	}
	orgs = append(orgs, OrganisationInput{Name: "Modern Slavery and Organised Immigration Crime Unit", Kind: core.KindProgramme, Region: "National"})
	return orgs, rocuOf
}

// ProgrammeUnitSlug names the programme's own unit, where the first administrator is created.
const ProgrammeUnitSlug = "modern-slavery-and-organised-immigration-crime-unit"

// SeedOrganisations loads the reference organisations into an empty table. Replicas starting
// together cannot both seed: on PostgreSQL they take turns under an advisory lock.
func SeedOrganisations(ctx context.Context, db *core.DB) (int, error) {
	added := 0
	err := db.InTx(ctx, func(ctx context.Context) error {
		if db.Dialect() == core.DialectPostgres {
			if err := db.Conn(ctx).Exec("SELECT pg_advisory_xact_lock(hashtext('msphub.seed.organisations'))").Error; err != nil {
				return core.DBError(err)
			}
		}
		var n int64
		if err := db.Conn(ctx).Model(&core.Organisation{}).Count(&n).Error; err != nil {
			return core.DBError(err)
		}
		if n > 0 {
			return nil
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		var orgs []core.Organisation
		inputs, rocuOf := referenceOrganisations()
		for _, in := range inputs {
			orgs = append(orgs, core.Organisation{Slug: slugify(in.Name), Name: in.Name, Kind: in.Kind, Region: in.Region, Active: true, CreatedAt: now, UpdatedAt: now})
		}
		added = len(orgs)
		core.Changed(ctx, core.Organisations)
		if err := db.Conn(ctx).CreateInBatches(orgs, 100).Error; err != nil {
			return core.DBError(err)
		}
		ids := map[string]int64{}
		for _, o := range orgs {
			ids[o.Name] = o.ID
		}
		for force, rocu := range rocuOf {
			if err := db.Conn(ctx).Model(&core.Organisation{}).Where("id = ?", ids[force]).Update("rocu_id", ids[rocu]).Error; err != nil {
				return core.DBError(err)
			}
		}
		return nil
	})
	return added, err
}
