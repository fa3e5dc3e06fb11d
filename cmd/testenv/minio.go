//go:build linux

package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// minioServer is a running throwaway single-drive MinIO.
type minioServer struct {
	proc      *process
	bin       string
	port      int
	accessKey string
	secretKey string
}

// findMinioBin returns MSPHUB_MINIO_BIN, or else the binary .ci/deps.sh
// builds into the MSP Hub cache. testenv never builds it itself: that takes
// minutes and belongs in the explicit install step.
func findMinioBin() (string, error) {
	if bin := os.Getenv("MSPHUB_MINIO_BIN"); bin != "" {
		if _, err := os.Stat(bin); err != nil {
			return "", fmt.Errorf("MSPHUB_MINIO_BIN: %w", err)
		}
		return bin, nil
	}
	cache := os.Getenv("MSPHUB_CACHE")
	if cache == "" {
		dir, err := os.UserCacheDir() // $XDG_CACHE_HOME or $HOME/.cache
		if err != nil {
			return "", fmt.Errorf("locate the MinIO binary: %w", err)
		}
		cache = filepath.Join(dir, "msphub")
	}
	bin := filepath.Join(cache, "bin", "minio")
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("MinIO server not found at %s: run .ci/deps.sh (or set MSPHUB_MINIO_BIN)", bin)
	}
	return bin, nil
}

// startMinio starts MinIO on free ports with data under dir and random root
// credentials, and waits until it answers its liveness probe.
func startMinio(ctx context.Context, bin, dir string) (*minioServer, error) {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, fmt.Errorf("MinIO: %w", err)
	}
	m := &minioServer{bin: bin, accessKey: "msphub-" + rand.Text()[:8], secretKey: rand.Text()}
	if err := retryOnTakenPort(func() error { return m.startServer(ctx, dir) }); err != nil {
		return nil, err
	}
	return m, nil
}

// startServer is one attempt at starting MinIO on fresh ports.
func (m *minioServer) startServer(ctx context.Context, dir string) error {
	port, err := freePort()
	if err != nil {
		return fmt.Errorf("MinIO: %w", err)
	}
	consolePort, err := freePort()
	if err != nil {
		return fmt.Errorf("MinIO: %w", err)
	}
	// MinIO creates ~/.minio (and ~/.minio/certs unless --certs-dir is
	// given); HOME inside dir keeps it from littering the real home.
	cmd := exec.Command(m.bin, "server",
		"--address", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		"--console-address", net.JoinHostPort("127.0.0.1", strconv.Itoa(consolePort)),
		"--certs-dir", filepath.Join(dir, "certs"),
		filepath.Join(dir, "data"))
	cmd.Dir = dir
	cmd.Env = append(childEnv("MINIO_", "HOME="),
		"HOME="+dir,
		"MINIO_ROOT_USER="+m.accessKey,
		"MINIO_ROOT_PASSWORD="+m.secretKey,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off")
	proc, err := startReady(ctx, "MinIO", cmd, filepath.Join(dir, "minio.log"), syscall.SIGKILL, true, liveCheck(port))
	if err != nil {
		return err
	}
	m.proc, m.port = proc, port
	return nil
}

// liveCheck returns a probe that succeeds once MinIO's liveness endpoint
// answers 200.
func liveCheck(port int) func(context.Context) error {
	url := fmt.Sprintf("http://127.0.0.1:%d/minio/health/live", port)
	client := &http.Client{Timeout: 2 * time.Second}
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		return nil
	}
}

// stop asks MinIO to shut down and kills it if it has not within 10 s.
func (m *minioServer) stop(stderr io.Writer) {
	m.proc.stop(syscall.SIGTERM, true, 10*time.Second, stderr)
}

// vars describes the server to tests.
func (m *minioServer) vars() []string {
	return []string{
		"MSPHUB_TEST_S3_ENDPOINT=" + net.JoinHostPort("127.0.0.1", strconv.Itoa(m.port)),
		"MSPHUB_TEST_S3_ACCESS_KEY=" + m.accessKey,
		"MSPHUB_TEST_S3_SECRET_KEY=" + m.secretKey,
		"MSPHUB_TEST_MINIO_BIN=" + m.bin,
	}
}
