package api_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/policies"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func hexHash(t *testing.T, s string) tlog.Hash {
	t.Helper()
	var h tlog.Hash
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(h) {
		t.Fatalf("%q is not a hex hash", s)
	}
	copy(h[:], b)
	return h
}

func hexProof(t *testing.T, ss []string) []tlog.Hash {
	t.Helper()
	out := make([]tlog.Hash, len(ss))
	for i, s := range ss {
		out[i] = hexHash(t, s)
	}
	return out
}

// An auditor fetches two signed checkpoints, an inclusion proof of an event and a consistency
// proof between the checkpoints from the API, and checks all of them offline with the
// library's verifier and nothing but the log's public key.
func TestAuditProofsFromTheAPIVerifyOffline(t *testing.T) {
	a := apitest.New(t)
	ctx := context.Background()
	auditor := a.As(t, policies.RoleAuditor)
	get := func(path string, out any) {
		t.Helper()
		w := a.API(t, auditor, "GET", path, "")
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, w.Code, w.Body)
		}
		if err := json.Unmarshal(w.Body.Bytes(), out); err != nil {
			t.Fatal(err)
		}
	}
	checkpoint := func(number string) (int64, tlog.Hash) {
		t.Helper()
		var cp struct {
			Number   int64  `json:"number"`
			TreeSize int64  `json:"tree_size"`
			RootHash string `json:"root_hash"`
			Note     string `json:"note"`
		}
		get("/api/v1/audit/checkpoints/"+number, &cp)
		v, err := note.NewVerifier(a.Services.Audit.PublicKey())
		if err != nil {
			t.Fatal(err)
		}
		n, err := note.Open([]byte(cp.Note), note.VerifierList(v))
		if err != nil {
			t.Fatalf("checkpoint %s does not verify with the public key: %v", number, err)
		}
		lines := strings.Split(n.Text, "\n")
		size, err := strconv.ParseInt(lines[1], 10, 64)
		if err != nil || size != cp.TreeSize {
			t.Fatalf("checkpoint text %q, tree size %d", n.Text, cp.TreeSize)
		}
		raw, err := base64.StdEncoding.DecodeString(lines[2])
		var root tlog.Hash
		if err != nil || len(raw) != len(root) {
			t.Fatalf("checkpoint root %q", lines[2])
		}
		copy(root[:], raw)
		if hex.EncodeToString(root[:]) != cp.RootHash {
			t.Fatalf("signed root %x, response says %s", root, cp.RootHash)
		}
		return size, root
	}
	sequence := func() {
		t.Helper()
		if _, err := a.Services.Audit.Sequence(ctx); err != nil {
			t.Fatal(err)
		}
		if _, _, err := a.Services.Audit.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
	}

	sequence()
	size1, root1 := checkpoint("latest")
	for range 5 { // more audited events: refused reads are recorded
		a.API(t, a.As(t, policies.RoleOfficer), "GET", "/api/v1/audit", "")
	}
	sequence()
	size2, root2 := checkpoint("latest")
	if again, _ := checkpoint("1"); again != size1 || size2 <= size1 {
		t.Fatalf("checkpoints of %d then %d events", size1, size2)
	}

	// Every event of the second tree is in it.
	var page struct {
		Events []struct {
			ID   int64  `json:"id"`
			Seq  *int64 `json:"seq"`
			Hash string `json:"hash"`
		} `json:"events"`
	}
	get("/api/v1/audit?limit=200", &page)
	checked := 0
	for _, e := range page.Events {
		if e.Seq == nil || *e.Seq > size2 {
			continue
		}
		var p struct {
			Seq      int64    `json:"seq"`
			LeafHash string   `json:"leaf_hash"`
			TreeSize int64    `json:"tree_size"`
			Proof    []string `json:"proof"`
		}
		get("/api/v1/audit/events/"+strconv.FormatInt(e.ID, 10)+"/proof", &p)
		if p.TreeSize != size2 || p.LeafHash != e.Hash || p.Seq != *e.Seq {
			t.Fatalf("proof of %d: %+v, want against the latest checkpoint (%d) with the event's hash", e.ID, p, size2)
		}
		if err := tlog.CheckRecord(hexProof(t, p.Proof), size2, root2, p.Seq-1, hexHash(t, e.Hash)); err != nil {
			t.Errorf("inclusion of event %d does not verify: %v", e.ID, err)
		}
		checked++
	}
	if checked < int(size1) {
		t.Fatalf("checked %d events, want at least %d", checked, size1)
	}

	var c struct {
		From, To         int64
		FromRoot, ToRoot string `json:"-"`
		Proof            []string
	}
	get("/api/v1/audit/consistency?from="+strconv.FormatInt(size1, 10), &c)
	if c.To != size2 {
		t.Fatalf("consistency up to %d, want the latest checkpoint's %d", c.To, size2)
	}
	if err := tlog.CheckTree(hexProof(t, c.Proof), size2, root2, size1, root1); err != nil {
		t.Fatalf("consistency %d → %d does not verify: %v", size1, size2, err)
	}
	forged := root1
	forged[0] ^= 1
	if err := tlog.CheckTree(hexProof(t, c.Proof), size2, root2, size1, forged); err == nil {
		t.Fatal("the proof verifies against a forged earlier root")
	}

	for path, want := range map[string]int{
		"/api/v1/audit/events/999999/proof":                      404,
		"/api/v1/audit/events/1/proof?tree_size=999999":          422,
		"/api/v1/audit/consistency?from=0":                       422,
		"/api/v1/audit/consistency?from=3&to=2":                  422,
		"/api/v1/audit/checkpoints/99":                           404,
		"/api/v1/audit/checkpoints/x":                            404,
		"/api/v1/audit/consistency?from=1&to=" + itoa(size2+100): 422,
	} {
		if w := a.API(t, auditor, "GET", path, ""); w.Code != want {
			t.Errorf("GET %s: %d, want %d (%s)", path, w.Code, want, w.Body)
		}
	}
}
