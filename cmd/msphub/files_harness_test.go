package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/msptp/msphub/models/identity"
)

// apiClient calls a running server's JSON API with a bearer token, as a script would.
type apiClient struct {
	base  string // the server's URL
	token string
}

var userSeq atomic.Int64

// newTrainerClient makes a trainer with the admin commands, as a scripted set-up would, and an
// API token for them. Call it before starting the server: on SQLite a running server learns of
// role assignments made by another process only when it restarts.
func newTrainerClient(t *testing.T, vars map[string]string) *apiClient {
	t.Helper()
	return newClient(t, vars, identity.ProgrammeUnitSlug, "trainer")
}

// newClient makes a user of org with roles, and an API token for them (see newTrainerClient).
func newClient(t *testing.T, vars map[string]string, org, roles string) *apiClient {
	t.Helper()
	_, email := createUser(t, vars, org, roles)
	var out, logs bytes.Buffer
	args := []string{"admin", "create-token", "--user", email, "--name", "files test", "--scope", "read-write"}
	if err := run(context.Background(), args, env(vars), strings.NewReader(""), &out, &logs); err != nil {
		t.Fatalf("create token: %v\n%s", err, logs.String())
	}
	return &apiClient{token: strings.TrimSpace(out.String())}
}

// createUser makes a vetted user of org with roles with the admin commands and returns their ID
// and email address.
func createUser(t *testing.T, vars map[string]string, org, roles string) (int64, string) {
	t.Helper()
	email := fmt.Sprintf("user%d@example.police.uk", userSeq.Add(1))
	var out, logs bytes.Buffer
	expires := time.Now().AddDate(2, 0, 0).Format(time.DateOnly)
	args := []string{"admin", "create-user", "--email", email, "--name", "Test User", "--org", org, "--roles", roles,
		"--vetting", "NPPV2", "--vetting-expires", expires, "--password-stdin"}
	if err := run(context.Background(), args, env(vars), strings.NewReader("umbrella kettle orbit lantern 47\n"), &out, &logs); err != nil {
		t.Fatalf("create user: %v\n%s", err, logs.String())
	}
	var id int64
	if _, err := fmt.Sscanf(out.String(), "created user %d:", &id); err != nil {
		t.Fatalf("create user printed %q: %v", out.String(), err)
	}
	return id, email
}

func (c *apiClient) do(t *testing.T, method, path, ctype string, body io.Reader, want int) []byte {
	t.Helper()
	b, err := c.try(method, path, ctype, body, want)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// try is do for goroutines other than the test's, which must not stop the test themselves.
func (c *apiClient) try(method, path, ctype string, body io.Reader, want int) ([]byte, error) {
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode != want {
		return nil, fmt.Errorf("%s %s: %d, want %d\n%s", method, path, resp.StatusCode, want, b)
	}
	return b, nil
}

var courseSeq atomic.Int64

// course creates a course and returns its ID.
func (c *apiClient) course(t *testing.T) int64 {
	t.Helper()
	id, err := c.tryCourse()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (c *apiClient) tryCourse() (int64, error) {
	body := fmt.Sprintf(`{"code":"BK-%d-%d","title":"Backup test course","description":"For the files test.","cpd_hours":1,"classification":"OFFICIAL"}`,
		time.Now().UnixNano()%100000, courseSeq.Add(1))
	var v struct {
		ID int64 `json:"id"`
	}
	b, err := c.try("POST", "/api/v1/courses", "application/json", strings.NewReader(body), http.StatusCreated)
	if err == nil {
		err = json.Unmarshal(b, &v)
	}
	return v.ID, err
}

// storedFile is a file uploaded through the API, and where to download it.
type storedFile struct {
	content  string
	download string
}

// upload stores content as course material and returns where to download it.
func (c *apiClient) upload(t *testing.T, course int64, content string) storedFile {
	t.Helper()
	f, err := c.tryUpload(course, content)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (c *apiClient) tryUpload(course int64, content string) (storedFile, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("title", "Material")
	fw, _ := mw.CreateFormFile("file", "material.txt")
	_, _ = io.WriteString(fw, content)
	_ = mw.Close()
	path := fmt.Sprintf("/api/v1/courses/%d/materials", course)
	var v struct {
		ID int64 `json:"id"`
	}
	b, err := c.try("POST", path, mw.FormDataContentType(), &buf, http.StatusCreated)
	if err == nil {
		err = json.Unmarshal(b, &v)
	}
	return storedFile{content: content, download: fmt.Sprintf("%s/%d/download?version=1", path, v.ID)}, err
}

// fileContent is distinct text for file n, long enough to span several encryption packages.
func fileContent(n int) string {
	return strings.Repeat(fmt.Sprintf("File %d: a statement taken under caution and read back line after line.\n", n), 2000)
}

// mustGzipTar is a tar.gz archive holding one file.
func mustGzipTar(t *testing.T, name, content string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	_, _ = tw.Write([]byte(content))
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
