package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/msptp/msphub/api"
	"github.com/msptp/msphub/frontend"
	"github.com/msptp/msphub/models"
	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/identity"
	"github.com/msptp/msphub/models/modelstest"
	"github.com/msptp/msphub/policies"
	"github.com/msptp/msphub/storage"
)

// packBenchFile and packBenchFiles make the 2 GiB pack: two 1 GiB exhibits.
const (
	packBenchFile  = 1 << 30
	packBenchFiles = 2
	packBenchBytes = packBenchFile * packBenchFiles
)

// packBenchRounds is how many times each transfer runs, alternating with the raw store: on a
// shared machine the load changes from one minute to the next, so each side is judged by its
// best round, measured beside the other.
const packBenchRounds = 3

// BenchmarkEvidencePack2GiB measures, for a 2 GiB pack of two 1 GiB exhibits, the evidence
// upload (a streamed multipart POST to the API over a real HTTP connection: multipart parsing,
// type sniffing, SHA-256, encryption, store) and the pack export (the streamed ZIP of the same
// pack read back through the API), beside the raw store doing the same bytes: MinIO PutObject
// and GetObject on the PostgreSQL + MinIO backend, a plain file written (with fsync) and read on
// the SQLite + disk backend. Run it with -benchtime 1x: each sub-benchmark alternates the raw
// store and MSP Hub packBenchRounds times (each upload goes to a case of its own, so every
// export is of the same 2 GiB) and reports:
//   - MB/s: MSP Hub's best round; raw-MB/s: the raw store's best round; pct-of-raw (target ≥ 90,
//     issue 15). MinIO, the client and MSP Hub share the machine's cores, so where they are
//     busy MSP Hub's own work (the HTTP hop, hashing, encryption) weighs on the figure: say
//     what else ran (uptime) beside it;
//   - peak-MiB: how far the transfer raised the process's heap ceiling, the most of the heap
//     in use and the garbage collector's goal, over the goal before it started (target under
//     64): what the transfer adds to the memory the process needs. The client, the server and
//     the store client all run in this process, so it is an upper bound;
//   - live-MiB: the most the live heap grew, as the garbage collector found it.
//
// (The heap in use alone, over the heap just after a collection, would also count the garbage
// the whole process may pile up between collections, which grows with everything else the
// process holds, not with the transfer.)
func BenchmarkEvidencePack2GiB(b *testing.B) {
	ctx := context.Background()
	key, err := storage.ParseMasterKey(modelstest.MasterKey(b))
	if err != nil {
		b.Fatal(err)
	}
	var (
		backend     storage.Backend
		rawPut      func(name string) error
		rawGet      func(name string) error
		rawDelete   func(name string) error
		backendName = "disk"
	)
	if modelstest.Backend() == "postgres" {
		backendName = "minio"
		cfg := modelstest.S3Config(b)
		s3, err := storage.NewS3(ctx, cfg)
		if err != nil {
			b.Fatal(err)
		}
		backend = s3
		mc, err := minio.New(cfg.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, "")})
		if err != nil {
			b.Fatal(err)
		}
		rawPut = func(name string) error {
			_, err := mc.PutObject(ctx, cfg.Bucket, "raw/"+name, newBenchMedia(), packBenchFile, minio.PutObjectOptions{PartSize: 16 << 20})
			return err
		}
		rawGet = func(name string) error {
			obj, err := mc.GetObject(ctx, cfg.Bucket, "raw/"+name, minio.GetObjectOptions{})
			if err != nil {
				return err
			}
			defer obj.Close()
			return benchDrain(obj, packBenchFile)
		}
		rawDelete = func(name string) error {
			return mc.RemoveObject(ctx, cfg.Bucket, "raw/"+name, minio.RemoveObjectOptions{})
		}
	} else {
		dir := b.TempDir()
		disk, err := storage.NewDisk(filepath.Join(dir, "blobs"))
		if err != nil {
			b.Fatal(err)
		}
		backend = disk
		rawPut = func(name string) error {
			f, err := os.Create(filepath.Join(dir, name))
			if err != nil {
				return err
			}
			defer f.Close()
			if _, err := io.CopyBuffer(struct{ io.Writer }{f}, newBenchMedia(), make([]byte, 1<<20)); err != nil {
				return err
			}
			if err := f.Sync(); err != nil {
				return err
			}
			return f.Close()
		}
		rawGet = func(name string) error {
			f, err := os.Open(filepath.Join(dir, name))
			if err != nil {
				return err
			}
			defer f.Close()
			return benchDrain(f, packBenchFile)
		}
		rawDelete = func(name string) error { return os.Remove(filepath.Join(dir, name)) }
	}
	store := storage.New(backend, storage.NewKeyring(key))
	srv, token, newCase := newPackBenchSite(b, store)
	var cases []int64
	for range packBenchRounds {
		cases = append(cases, newCase())
	}

	// pair runs raw and ours one after the other, packBenchRounds times, and reports both.
	pair := func(name string, raw, ours func(round int) error) {
		b.Run(name, func(b *testing.B) {
			b.StopTimer()
			var bestRaw, bestOurs time.Duration
			var peak, live float64
			for range b.N {
				for round := range packBenchRounds {
					took, _, _, err := benchTransfer(func() error { return raw(round) })
					if err != nil {
						b.Fatalf("%s round %d, raw: %v", name, round, err)
					}
					if bestRaw == 0 || took < bestRaw {
						bestRaw = took
					}
					took, p, l, err := benchTransfer(func() error { return ours(round) })
					if err != nil {
						b.Fatalf("%s round %d: %v", name, round, err)
					}
					if bestOurs == 0 || took < bestOurs {
						bestOurs = took
					}
					peak, live = max(peak, p), max(live, l)
				}
			}
			rate := func(d time.Duration) float64 { return float64(packBenchBytes) / d.Seconds() / 1e6 }
			b.ReportMetric(float64(bestOurs.Nanoseconds()), "ns/op")
			b.ReportMetric(rate(bestOurs), "MB/s")
			b.ReportMetric(rate(bestRaw), "raw-MB/s")
			b.ReportMetric(100*rate(bestOurs)/rate(bestRaw), "pct-of-raw")
			b.ReportMetric(peak, "peak-MiB")
			b.ReportMetric(live, "live-MiB")
		})
	}
	b.Logf("raw store: %s", backendName)
	pair("evidence-upload", func(round int) error {
		for i := range packBenchFiles {
			if err := rawPut(fmt.Sprintf("%d-%d", round, i)); err != nil {
				return err
			}
		}
		return nil
	}, func(round int) error {
		for i := range packBenchFiles {
			if err := benchUpload(srv, token, cases[round], fmt.Sprintf("BENCH/%d/%d", round, i)); err != nil {
				return err
			}
		}
		if round > 0 { // keep one raw copy to read back; the store need not hold the rest
			for i := range packBenchFiles {
				if err := rawDelete(fmt.Sprintf("%d-%d", round, i)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	pair("pack-export", func(int) error {
		for i := range packBenchFiles {
			if err := rawGet(fmt.Sprintf("0-%d", i)); err != nil {
				return err
			}
		}
		return nil
	}, func(int) error { return benchExport(srv, token, cases[0]) })
}

// benchTransfer runs one transfer after a full collection and returns how long it took, how far
// it raised the heap's ceiling (MiB over the collector's goal before it) and how much the live
// heap grew (MiB).
func benchTransfer(run func() error) (time.Duration, float64, float64, error) {
	runtime.GC()
	stop := benchHeap()
	start := time.Now()
	err := run()
	took := time.Since(start)
	peak, live := stop()
	return took, float64(peak) / (1 << 20), float64(live) / (1 << 20), err
}

// newPackBenchSite serves MSP Hub over a real HTTP listener with a 5 GiB evidence limit, and
// opens a case with an investigator's API token.
func newPackBenchSite(b *testing.B, store *storage.Store) (*httptest.Server, string, func() int64) {
	b.Helper()
	ctx := context.Background()
	db := modelstest.OpenDB(b)
	modelstest.SeedOrganisations(b, db)
	log := slog.New(slog.DiscardHandler)
	s := models.New(core.Deps{DB: db, Authz: modelstest.Authorizer(b, db), Blobs: store, Secrets: modelstest.Keyring(b), Log: log})
	app := &api.App{Cfg: api.Config{MaxFormBytes: 1 << 20, MaxUploads: 4, MaxAttachmentBytes: 10 << 20, MaxMaterialBytes: 10 << 20,
		MaxEvidenceBytes: casefile.DefaultMaxEvidenceBytes}, Log: log, Health: core.NewHealth(db, store), Services: s}
	var err error
	if app.Pages, err = frontend.New(log, app); err != nil {
		b.Fatal(err)
	}
	e, err := api.NewEngine(app)
	if err != nil {
		b.Fatal(err)
	}
	org, err := s.Operator.OrganisationBySlug(ctx, "devon-and-cornwall-police")
	if err != nil {
		b.Fatal(err)
	}
	expires := time.Now().AddDate(1, 0, 0)
	var sup identity.UserView
	for _, p := range []struct{ email, role string }{{"bench.sup@example.police.uk", policies.RoleSupervisor}, {"bench.inv@example.police.uk", policies.RoleInvestigator}} {
		u, _, err := s.Operator.CreateUser(ctx, identity.UserInput{OrganisationID: org.ID, Email: p.email, Name: p.role, Roles: []string{p.role},
			VettingLevel: core.VettingRV, VettingExpiresOn: &expires}, "")
		if err != nil {
			b.Fatal(err)
		}
		if p.role == policies.RoleSupervisor {
			sup = u
		}
	}
	token, _, err := s.Operator.CreateToken(ctx, "bench.inv@example.police.uk", identity.NewToken{Name: "bench", Scope: identity.ScopeReadWrite, ExpiresIn: 1})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(e)
	b.Cleanup(srv.Close)
	newCase := func() int64 {
		body := fmt.Sprintf(`{"urn":"45AB1234523","operation":"Bench","offences":["msa_s2"],"classification":"OFFICIAL","supervisor_id":%d}`, sup.ID)
		req, _ := http.NewRequest("POST", srv.URL+"/api/v1/casefiles", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		var cv struct{ ID int64 }
		if err := json.NewDecoder(resp.Body).Decode(&cv); err != nil || resp.StatusCode != http.StatusCreated {
			b.Fatalf("create the case: %d %v", resp.StatusCode, err)
		}
		return cv.ID
	}
	return srv, token, newCase
}

// benchUpload sends one 1 GiB exhibit to the API as a multipart form with its length, as a
// browser does, streaming the file.
func benchUpload(srv *httptest.Server, token string, caseID int64, ref string) error {
	var head bytes.Buffer
	mw := multipart.NewWriter(&head)
	for _, f := range [][2]string{{"exhibit_ref", ref}, {"description", "CCTV export of the farm yard"}, {"producer", "DC Bench"}} {
		if err := mw.WriteField(f[0], f[1]); err != nil {
			return err
		}
	}
	if _, err := mw.CreateFormFile("file", "cctv.mp4"); err != nil {
		return err
	}
	prefix := append([]byte(nil), head.Bytes()...)
	head.Reset()
	if err := mw.Close(); err != nil {
		return err
	}
	suffix := head.Bytes()
	body := io.MultiReader(bytes.NewReader(prefix), newBenchMedia(), bytes.NewReader(suffix))
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/casefiles/%d/evidence", srv.URL, caseID), body)
	req.ContentLength = int64(len(prefix)) + packBenchFile + int64(len(suffix))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		msg, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("upload %s: %d %s", ref, resp.StatusCode, msg)
	}
	return nil
}

// benchExport downloads the pack's ZIP and checks it holds the whole pack.
func benchExport(srv *httptest.Server, token string, caseID int64) error {
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/casefiles/%d/export", srv.URL, caseID), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("export: %d", resp.StatusCode)
	}
	n, err := io.CopyBuffer(struct{ io.Writer }{io.Discard}, struct{ io.Reader }{resp.Body}, make([]byte, 1<<20))
	if err == nil && n < packBenchBytes {
		err = fmt.Errorf("export: %d bytes, less than the pack", n)
	}
	return err
}

func benchDrain(r io.Reader, want int64) error {
	n, err := io.CopyBuffer(struct{ io.Writer }{io.Discard}, struct{ io.Reader }{r}, make([]byte, 1<<20))
	if err == nil && n != want {
		err = fmt.Errorf("read %d bytes, want %d", n, want)
	}
	return err
}

// benchMedia is 1 GiB that sniffs as an MP4 video: an ftyp box, then a random 1 MiB block
// repeated (as incompressible as real media, and cheap to generate).
type benchMedia struct {
	block []byte
	left  int64
	off   int
}

var benchBlock = sync.OnceValue(func() []byte {
	b := make([]byte, 1<<20)
	r := rand.NewChaCha8([32]byte{1})
	_, _ = r.Read(b)
	ftyp := []byte{0, 0, 0, 0x18, 'f', 't', 'y', 'p', 'm', 'p', '4', '2', 0, 0, 0, 0, 'i', 's', 'o', 'm', 'm', 'p', '4', '2'}
	copy(b, ftyp)
	return b
})

func newBenchMedia() io.Reader { return &benchMedia{block: benchBlock(), left: packBenchFile} }

func (m *benchMedia) Read(p []byte) (int, error) {
	if m.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > m.left {
		p = p[:m.left]
	}
	n := 0
	for n < len(p) {
		c := copy(p[n:], m.block[m.off:])
		n += c
		m.off = (m.off + c) % len(m.block)
		if m.off == 0 {
			m.off = 24 // the header once, at the very start
		}
	}
	m.left -= int64(n)
	return n, nil
}

// benchHeap samples the heap every 2 ms until the returned function is called, which gives
// the most the heap's ceiling rose over the collector's goal at the start (the larger of the
// heap in use and the goal, at any sample) and the most the live heap grew.
func benchHeap() func() (peak, live uint64) {
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/goal:bytes"}, {Name: "/gc/heap/live:bytes"}}
	read := func() (inUse, goal, live uint64) {
		metrics.Read(samples)
		return samples[0].Value.Uint64(), samples[1].Value.Uint64(), samples[2].Value.Uint64()
	}
	_, goal0, live0 := read()
	var peak, live uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			inUse, goal, l := read()
			if top := max(inUse, goal); top > goal0 {
				peak = max(peak, top-goal0)
			}
			if l > live0 {
				live = max(live, l-live0)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	})
	return func() (uint64, uint64) {
		close(stop)
		wg.Wait()
		return peak, live
	}
}
