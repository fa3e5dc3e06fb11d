package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/msptp/msphub/api"
)

// config is every setting of msphub serve. Each comes from a flag or, when the flag is not
// given, from the MSPHUB_* environment variable of the same name (see settings).
type config struct {
	Addr      string
	DataDir   string
	PublicURL string
	LogLevel  string

	DatabaseURL string

	S3Endpoint  string
	S3Bucket    string
	S3AccessKey string
	S3SecretKey string
	S3Region    string
	S3TLS       bool

	MasterKey     string
	OldMasterKeys string
	AuditKey      string

	TrustedProxies     string
	MaxFormBytes       byteSize
	MaxAttachmentBytes byteSize
	MaxMaterialBytes   byteSize
	MaxEvidenceBytes   byteSize
	MaxUploads         int
	StatsThreshold     int
	ShutdownTimeout    time.Duration
	RequestTimeout     time.Duration
	SessionIdleTimeout time.Duration
	SessionMaxAge      time.Duration

	SMTPAddr     string
	SMTPFrom     string
	SMTPUsername string
	SMTPPassword string
	SMTPTLS      string
	SMTPCAFile   string

	MetricsAllow string
	MetricsToken string
}

// envName is the environment variable that stands in for a flag: --s3-access-key is
// MSPHUB_S3_ACCESS_KEY.
func envName(flagName string) string {
	return "MSPHUB_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// settingError names the setting a start-up failure comes from, the way an operator will look
// for it: by its environment variable and its flag.
func settingError(flagName string, err error) error {
	return fmt.Errorf("%s (--%s): %w", envName(flagName), flagName, err)
}

// databaseFlags are the settings every command that opens the database needs.
func databaseFlags(fs *flag.FlagSet, c *config) {
	fs.StringVar(&c.DataDir, "data-dir", "./data", "directory of the embedded default: SQLite database, blobs and master key file")
	fs.StringVar(&c.DatabaseURL, "database-url", "", "PostgreSQL URL (postgres://user:password@host:5432/db); empty = SQLite in the data directory")
	fs.StringVar(&c.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
}

// serveFlags are the settings of msphub serve.
func serveFlags(fs *flag.FlagSet, c *config) {
	databaseFlags(fs, c)
	blobStoreFlags(fs, c)
	fs.StringVar(&c.Addr, "addr", "localhost:8080", "address to listen on (host:port)")
	fs.StringVar(&c.PublicURL, "public-url", "http://localhost:8080", "URL people use to reach MSP Hub; https turns on HSTS and secure cookies")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", "", "comma-separated addresses or CIDR ranges of reverse proxies whose X-Forwarded-For is believed")
	c.MaxFormBytes = 1 << 20
	fs.Var(&c.MaxFormBytes, "max-form-bytes", "largest form or JSON request body (e.g. 1MiB)")
	c.MaxAttachmentBytes = 100 << 20
	fs.Var(&c.MaxAttachmentBytes, "max-attachment-bytes", "largest guidance attachment")
	c.MaxMaterialBytes = 500 << 20
	fs.Var(&c.MaxMaterialBytes, "max-material-bytes", "largest training material file")
	c.MaxEvidenceBytes = 5 << 30
	fs.Var(&c.MaxEvidenceBytes, "max-evidence-bytes", "largest evidence file")
	fs.IntVar(&c.MaxUploads, "max-uploads", 8, "uploads streamed at once; more wait their turn")
	fs.IntVar(&c.StatsThreshold, "stats-threshold", 5, "national picture: counts from 1 to this minus one are suppressed ([c])")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 30*time.Second, "how long to let requests in flight finish on SIGTERM")
	fs.DurationVar(&c.RequestTimeout, "request-timeout", 30*time.Second, "a request that makes no progress this long (waiting on the database or the file store, no byte received or sent) is answered 503; uploads and downloads last as long as their bytes flow")
	fs.DurationVar(&c.SessionIdleTimeout, "session-idle-timeout", 30*time.Minute, "a session unused this long ends")
	fs.DurationVar(&c.SessionMaxAge, "session-max-age", 12*time.Hour, "a session ends this long after sign-in, however busy")
	smtpFlags(fs, c)
	fs.StringVar(&c.MetricsAllow, "metrics-allow", "127.0.0.0/8,::1", "comma-separated addresses or CIDR ranges that may read /metrics without the token; none = token only")
	fs.StringVar(&c.MetricsToken, "metrics-token", "", "bearer token that reads /metrics from anywhere (at least 32 characters: openssl rand -base64 32); empty = no token")
}

// blobStoreFlags are the settings of the blob store and its master keys, which serve and the
// commands that read stored files (storage verify, backup) share.
func blobStoreFlags(fs *flag.FlagSet, c *config) {
	fs.StringVar(&c.S3Endpoint, "s3-endpoint", "", "S3-compatible endpoint (host:port); empty = blobs on local disk in the data directory")
	fs.StringVar(&c.S3Bucket, "s3-bucket", "msphub", "S3 bucket (must exist)")
	fs.StringVar(&c.S3AccessKey, "s3-access-key", "", "S3 access key")
	fs.StringVar(&c.S3SecretKey, "s3-secret-key", "", "S3 secret key")
	fs.StringVar(&c.S3Region, "s3-region", "", "S3 region (empty for MinIO)")
	fs.BoolVar(&c.S3TLS, "s3-tls", true, "connect to S3 over TLS")
	fs.StringVar(&c.MasterKey, "master-key", "", "master key wrapping every blob's data key: 32 random bytes in base64 (openssl rand -base64 32); empty = key file in the data directory")
	fs.StringVar(&c.OldMasterKeys, "old-master-keys", "", "earlier master keys, comma-separated, still accepted for reading during a rotation")
	fs.StringVar(&c.AuditKey, "audit-key", "", "Ed25519 key signing the audit log's checkpoints, in note format (PRIVATE+KEY+msphub-audit-log+...; `msphub audit keygen` makes one); audit verify also takes the public key; empty = key file audit.key in the data directory")
}

// parseFlags reads args, then fills every flag not given on the command line from its
// environment variable. Errors name the setting.
func parseFlags(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see --help)", fs.Arg(0))
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		v := getenv(envName(f.Name))
		if err != nil || given[f.Name] || v == "" {
			return
		}
		if e := fs.Set(f.Name, v); e != nil {
			err = settingError(f.Name, e)
		}
	})
	return err
}

// validate checks what flag parsing cannot, naming the setting at fault.
func (c *config) validate() error {
	u, err := url.Parse(c.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return settingError("public-url", errors.New("must be an http:// or https:// URL such as https://msphub.example.police.uk"))
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		return settingError("log-level", err)
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return settingError("addr", errors.New("must be host:port, for example localhost:8080 or :8080"))
	}
	if err := c.validateBlobStore(); err != nil {
		return err
	}
	if c.S3Endpoint != "" && c.AuditKey == "" {
		// Replicas share the checkpoints in the bucket: they must sign them with one key.
		return settingError("audit-key", errors.New("is required with S3: every replica must sign the audit log's checkpoints with the same key (msphub audit keygen)"))
	}
	if _, err := c.trustedProxies(); err != nil {
		return settingError("trusted-proxies", err)
	}
	if _, err := c.smtp(); err != nil {
		return err
	}
	if _, err := c.metricsAccess(); err != nil {
		return err
	}
	for name, n := range map[string]byteSize{"max-form-bytes": c.MaxFormBytes, "max-attachment-bytes": c.MaxAttachmentBytes,
		"max-material-bytes": c.MaxMaterialBytes, "max-evidence-bytes": c.MaxEvidenceBytes} {
		if n <= 0 {
			return settingError(name, errors.New("must be more than zero"))
		}
	}
	if c.StatsThreshold < 2 || c.StatsThreshold > 100 {
		return settingError("stats-threshold", errors.New("must be from 2 to 100"))
	}
	if c.MaxUploads < 1 {
		return settingError("max-uploads", errors.New("must be at least 1"))
	}
	if c.RequestTimeout < time.Second {
		return settingError("request-timeout", errors.New("must be at least 1s"))
	}
	if c.SessionIdleTimeout < time.Minute {
		return settingError("session-idle-timeout", errors.New("must be at least 1m"))
	}
	if c.SessionMaxAge < c.SessionIdleTimeout {
		return settingError("session-max-age", errors.New("must be at least the idle time-out"))
	}
	return nil
}

// validateBlobStore checks the S3 settings: all or none.
func (c *config) validateBlobStore() error {
	if c.S3Endpoint != "" {
		if strings.Contains(c.S3Endpoint, "://") {
			return settingError("s3-endpoint", errors.New("give host:port without a scheme; use MSPHUB_S3_TLS for https"))
		}
		if _, _, err := net.SplitHostPort(c.S3Endpoint); err != nil {
			return settingError("s3-endpoint", errors.New("must be host:port, for example s3.eu-west-2.amazonaws.com:443"))
		}
		for name, v := range map[string]string{"s3-bucket": c.S3Bucket, "s3-access-key": c.S3AccessKey, "s3-secret-key": c.S3SecretKey} {
			if v == "" {
				return settingError(name, errors.New("is required when MSPHUB_S3_ENDPOINT is set"))
			}
		}
		if c.MasterKey == "" {
			return settingError("master-key", errors.New("is required with S3: every replica must wrap and unwrap data keys with the same key"))
		}
	}
	return nil
}

// metricsAccess reads who may read /metrics: the ranges of --metrics-allow (single addresses
// are ranges of one) and the token.
func (c *config) metricsAccess() (api.MetricsAccess, error) {
	access := api.MetricsAccess{Allow: []netip.Prefix{}, Token: c.MetricsToken}
	if t := c.MetricsToken; t != "" && (len(t) < 32 || strings.TrimSpace(t) != t) {
		return access, settingError("metrics-token", errors.New("must be at least 32 characters without spaces around it (openssl rand -base64 32)"))
	}
	if strings.TrimSpace(c.MetricsAllow) == "none" {
		return access, nil
	}
	for _, p := range strings.Split(c.MetricsAllow, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if pr, err := netip.ParsePrefix(p); err == nil {
			access.Allow = append(access.Allow, pr.Masked())
		} else if ip, err := netip.ParseAddr(p); err == nil {
			access.Allow = append(access.Allow, netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()))
		} else {
			return access, settingError("metrics-allow", fmt.Errorf("%q is neither an IP address nor a CIDR range (or give none for the token only)", p))
		}
	}
	return access, nil
}

func (c *config) https() bool { return strings.HasPrefix(c.PublicURL, "https://") }

func (c *config) trustedProxies() ([]string, error) {
	var out []string
	for _, p := range strings.Split(c.TrustedProxies, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			return nil, fmt.Errorf("%q is neither an IP address nor a CIDR range", p)
		}
		out = append(out, p)
	}
	return out, nil
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, errors.New("must be debug, info, warn or error")
	}
	return l, nil
}

// byteSize is a size flag that reads "1048576", "100MiB", "5GiB" or "512KB".
type byteSize int64

func (b *byteSize) String() string { return strconv.FormatInt(int64(*b), 10) }

func (b *byteSize) Set(s string) error {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, func(r rune) bool { return !unicode.IsDigit(r) })
	num, unit := s, ""
	if i >= 0 {
		num, unit = s[:i], strings.ToUpper(strings.TrimSpace(s[i:]))
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || num == "" {
		return fmt.Errorf("%q is not a size (examples: 1048576, 100MiB, 5GiB)", s)
	}
	mult := map[string]int64{"": 1, "B": 1, "K": 1 << 10, "KB": 1 << 10, "KIB": 1 << 10,
		"M": 1 << 20, "MB": 1 << 20, "MIB": 1 << 20, "G": 1 << 30, "GB": 1 << 30, "GIB": 1 << 30}[unit]
	if mult == 0 {
		return fmt.Errorf("%q has an unknown unit (use KiB, MiB or GiB)", s)
	}
	if n > (1<<62)/mult {
		return fmt.Errorf("%q is too large", s)
	}
	*b = byteSize(n * mult)
	return nil
}
