package casedoc

// IndexTemplate is the html/template of a pack's index.html: the case, the approved pack, the
// readiness, checklist and exhibits, and every document of the pack. It needs the functions
// date, bytes, path (an exhibit's file in the pack) and operation.
const IndexTemplate = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.Case.Marking}} – Case file pack {{.Case.URN}} – {{operation .Case.Operation}}</title>
<style>
body { font-family: arial, sans-serif; margin: 2em; color: #0b0c0c; }
.marking { text-align: center; font-weight: bold; padding: .5em; border: 2px solid #0b0c0c; }
table { border-collapse: collapse; width: 100%; margin-bottom: 2em; }
th, td { border: 1px solid #b1b4b6; padding: .4em; text-align: left; vertical-align: top; }
code { word-break: break-all; }
</style>
</head>
<body>
<p class="marking">{{.Case.Marking}}</p>
<h1>Case file pack {{.Case.URN}}</h1>
<dl>
<dt>Operation</dt><dd>{{.Case.Operation}}</dd>
<dt>Owning organisation</dt><dd>{{.Case.Organisation}}</dd>
<dt>Offences</dt><dd>{{range $i, $o := .Case.OffenceList}}{{if $i}}; {{end}}{{$o.Label}}{{end}}</dd>
<dt>Status</dt><dd>{{.Case.StatusLabel}}</dd>
<dt>Lead investigator</dt><dd>{{.Case.LeadName}}</dd>
<dt>Exported</dt><dd>{{.At.Format "2 January 2006 15:04:05 MST"}} by {{.By}}</dd>
{{with .Submission}}<dt>Approved pack</dt><dd>Pack {{.Number}} ({{.PurposeLabel}}), submitted by {{.SubmittedByName}}, approved by {{.DecidedByName}}. Manifest SHA-256 <code>{{.ManifestSHA256}}</code>{{with $.SubFile}} is the SHA-256 of {{.}}{{end}}.{{with $.Case.Unapproved}} <strong>The file changed since pack {{.From}} was approved (not yet approved): the files in this export are the case file as it is now.</strong>{{end}}{{if eq .Status "voided"}} <strong>The approval was voided{{with .VoidedAt}} on {{date .}}{{end}} by a later change ({{.VoidReason}}): the files in this export are the case file as it is now, not the pack as approved.</strong>{{end}}</dd>{{end}}
</dl>
<p>To check this pack, unzip it and run <code>sha256sum -c SHA256SUMS</code> in its folder: every file must say OK.</p>
{{if not .MG6DOnly}}<h2>Readiness</h2>
<table>
<thead><tr><th scope="col">Stage</th><th scope="col">Required items done</th></tr></thead>
<tbody>{{range .Case.Readiness}}<tr><td>{{.Label}}</td><td>{{.Done}} of {{.Total}} ({{.Percent}}%)</td></tr>{{end}}</tbody>
</table>
<h2>Checklist</h2>
<table>
<thead><tr><th scope="col">Checklist</th><th scope="col">Item</th><th scope="col">Stage</th><th scope="col">Required</th><th scope="col">Status</th><th scope="col">Reasons and notes</th><th scope="col">Exhibits</th></tr></thead>
<tbody>{{range .Items}}<tr><td>{{.Checklist}}</td><td>{{.Text}}</td><td>{{.Stage.Label}}</td><td>{{if .Required}}Yes{{else}}No{{end}}</td><td>{{.StatusLabel}}</td><td>{{with .NAReason}}Not applicable: {{.}} {{end}}{{with .CPSReason}}CPS: {{.}} {{end}}{{.Notes}}</td><td>{{range $i, $e := .Evidence}}{{if $i}}, {{end}}{{$e.ExhibitRef}}{{end}}</td></tr>{{end}}</tbody>
</table>
<h2>Exhibits</h2>
<table>
<thead><tr><th scope="col">Exhibit</th><th scope="col">Description</th><th scope="col">Producer and date</th><th scope="col">File or system</th><th scope="col">Size</th><th scope="col">Hash</th></tr></thead>
<tbody>{{range .Evidence}}<tr><td>{{.ExhibitRef}}{{with .SupersededByRef}} (superseded by {{.}}){{end}}{{with .SupersedesRef}} (supersedes {{.}}){{end}}</td><td>{{.Description}}</td><td>{{.Producer}}{{with .ProducedOn}}, {{date .}}{{end}}</td>
<td>{{if eq .Kind "file"}}{{if .Current}}<a href="{{path .}}">{{path .}}</a>{{else}}{{.FileName}} (not in this pack){{end}}{{else}}{{.ExternalSystem}} {{.ExternalID}}{{end}}</td>
<td>{{if eq .Kind "file"}}{{bytes .Size}} ({{.Size}} bytes){{end}}</td><td>{{if eq .Kind "file"}}SHA-256 <code>{{.SHA256}}</code>{{else}}{{.HashAlgorithm}} <code>{{.ExternalHash}}</code>{{end}}</td></tr>{{end}}</tbody>
</table>
<h2>Unused material</h2>
<p>The MG6C schedule of non-sensitive unused material holds {{.Entries}}. The MG6D schedule of sensitive unused material is never in this pack: it has its own restricted export, and is never served on the defence.</p>
{{else}}<p>The MG6D schedule of sensitive unused material holds {{.Entries}}. It is never served on the defence: keep this export apart from the pack.</p>
{{end}}<h2>Documents</h2>
<ul>
<li><a href="manifest.json">manifest.json</a>: every file with its size and SHA-256</li>
{{range .Docs}}<li><a href="{{.Path}}">{{.Path}}</a>: {{.Title}}</li>
{{end}}<li>SHA256SUMS: the SHA-256 of every file, for <code>sha256sum -c</code></li>
</ul>
<p class="marking">{{.Case.Marking}}</p>
</body>
</html>
`
