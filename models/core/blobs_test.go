package core

import "testing"

func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{
		0:               "0 bytes",
		300:             "300 bytes",
		1023:            "1023 bytes",
		1024:            "1 KB",
		58 << 10:        "58 KB",
		1536:            "1.5 KB",
		1<<20 - 1:       "1 MB",
		1258291:         "1.2 MB",
		100 << 20:       "100 MB",
		5 << 30:         "5 GB",
		5<<30 + 300<<20: "5.3 GB",
		2048 << 30:      "2 TB",
	} {
		if got := HumanBytes(n); got != want {
			t.Errorf("HumanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
