package storage_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/msptp/msphub/storage"
)

const benchSize = 1 * gib

// BenchmarkBlob1GiB compares the Store with the raw backend for one 1 GiB
// object, each step once (run with -benchtime 1x). Besides MB/s it reports
// peak-heap-MiB, the heap growth during the transfer, and pct-of-raw, the
// Store's throughput as a share of the raw step it wraps.
//
// Reads are measured twice: "warm", straight after writing, is served from
// the page cache, where the raw read is a memory copy; "cold" reads the
// same files after evicting them from the cache, as for evidence opened
// days after upload.
func BenchmarkBlob1GiB(b *testing.B) {
	b.Run("disk", func(b *testing.B) {
		dir := b.TempDir()
		disk, err := storage.NewDisk(filepath.Join(dir, "blobs"))
		if err != nil {
			b.Fatal(err)
		}
		store := storage.New(disk, storage.NewKeyring(newMasterKey(b)))
		rawPath := filepath.Join(dir, "raw")
		objectPath := filepath.Join(dir, "blobs", "bench", "1")
		var env storage.Envelope
		rates := map[string]float64{}

		measure(b, rates, "raw-write", "", func() error { return writeFile(rawPath) })
		measure(b, rates, "store-put", "raw-write", func() (err error) {
			env, err = store.Put(context.Background(), "bench/1", newPattern(1, benchSize), benchSize)
			return err
		})
		for _, temp := range []string{"warm", "cold"} {
			prepare := func(path string) {
				if temp == "cold" {
					evict(b, path)
				}
			}
			prepare(rawPath)
			measure(b, rates, "raw-read-"+temp, "", func() error { return readFile(rawPath) })
			prepare(objectPath)
			measure(b, rates, "store-open-"+temp, "raw-read-"+temp, func() error { return readObjectTo(store, "bench/1", env) })
		}
	})

	b.Run("s3", func(b *testing.B) {
		if os.Getenv("MSPHUB_TEST_BACKEND") != "postgres" {
			b.Log("S3 benchmarks run with MSPHUB_TEST_BACKEND=postgres")
			return
		}
		cfg, _ := testS3Config(b)
		cfg.PartSize = 0 // the default, as in production
		cfg.Bucket = newBucket(b, cfg)
		s3, err := storage.NewS3(context.Background(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		client := adminClient(b, cfg)
		store := storage.New(s3, storage.NewKeyring(newMasterKey(b)))
		var env storage.Envelope
		rates := map[string]float64{}
		ctx := context.Background()

		measure(b, rates, "raw-put", "", func() error {
			_, err := client.PutObject(ctx, cfg.Bucket, "raw", newPattern(1, benchSize), benchSize, minio.PutObjectOptions{PartSize: 16 * mib})
			return err
		})
		measure(b, rates, "store-put-sized", "raw-put", func() (err error) {
			env, err = store.PutSized(ctx, "bench/1", newPattern(1, benchSize), benchSize)
			return err
		})
		measure(b, rates, "store-put-unsized", "raw-put", func() (err error) {
			env, err = store.Put(ctx, "bench/1", newPattern(1, benchSize), benchSize)
			return err
		})
		measure(b, rates, "raw-get", "", func() error {
			obj, err := client.GetObject(ctx, cfg.Bucket, "raw", minio.GetObjectOptions{})
			if err != nil {
				return err
			}
			defer obj.Close()
			return drain(obj)
		})
		measure(b, rates, "store-open", "raw-get", func() error { return readObjectTo(store, "bench/1", env) })
	})
}

// measure runs one 1 GiB step as a sub-benchmark, reporting its throughput,
// its peak heap growth and, when it has a raw counterpart, pct-of-raw.
func measure(b *testing.B, rates map[string]float64, name, raw string, step func() error) {
	b.Run(name, func(b *testing.B) {
		b.SetBytes(benchSize)
		for range b.N {
			runtime.GC()
			peak := watchHeap()
			b.ResetTimer()
			err := step()
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(peak())/mib, "peak-heap-MiB")
		}
		rate := float64(benchSize) * float64(b.N) / b.Elapsed().Seconds() / 1e6
		rates[name] = rate
		if base, ok := rates[raw]; ok {
			b.ReportMetric(100*rate/base, "pct-of-raw")
		}
	})
}

// watchHeap samples the heap every 2 ms until the returned function is
// called, which gives the largest growth seen over the starting heap.
func watchHeap() (peak func() uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	base := read()
	var most uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			if n := read(); n > base && n-base > most {
				most = n - base
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	})
	return func() uint64 {
		close(stop)
		wg.Wait()
		return most
	}
}

// writeFile is the raw write the disk backend does for an object: create,
// copy in 1 MiB writes, fsync, close.
func writeFile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.CopyBuffer(struct{ io.Writer }{f}, newPattern(1, benchSize), make([]byte, mib)); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	return f.Close()
}

func readFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return drain(f)
}

func readObjectTo(s *storage.Store, key string, env storage.Envelope) error {
	rc, err := s.Open(context.Background(), key, env)
	if err != nil {
		return err
	}
	defer rc.Close()
	return drain(rc)
}

// drain is the consumer of every read: 1 MiB reads into a sink, the same
// for raw and Store so that only the source differs.
func drain(r io.Reader) error {
	n, err := io.CopyBuffer(struct{ io.Writer }{io.Discard}, struct{ io.Reader }{r}, make([]byte, mib))
	if err == nil && n != benchSize {
		err = fmt.Errorf("read %d bytes, want %d", n, benchSize)
	}
	return err
}
