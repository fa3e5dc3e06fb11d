package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/api"
	"github.com/msptp/msphub/frontend"
	"github.com/msptp/msphub/models"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/identity"
	"github.com/msptp/msphub/policies"
	"github.com/msptp/msphub/storage"
	"github.com/prometheus/client_golang/prometheus"
)

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := loadServeConfig(args, getenv, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel)
	app, err := build(ctx, &cfg, log)
	if err != nil {
		return err
	}
	defer app.close()

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return settingError("addr", err)
	}
	srv := &http.Server{
		Handler:           app.engine,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	// With no user yet, print where the first administrator sets up their account; the link is
	// a secret, so it goes to the console, never to the log.
	if link, err := app.services.Accounts.SetupLink(ctx); err != nil {
		return err
	} else if link != "" {
		fmt.Fprintf(stdout, "\nMSP Hub has no users yet. Within one hour, create the first administrator at:\n\n  %s\n\n", link)
	}
	log.Info("listening", slog.String("addr", ln.Addr().String()), slog.String("public_url", cfg.PublicURL),
		slog.String("database", app.db.Dialect()), slog.String("version", version))
	// Replicas on one PostgreSQL database hear of each other's policy changes; on the embedded
	// default, changes made by a command beside the server are read at the next reload.
	wctx, cancelWatcher := context.WithCancel(context.WithoutCancel(ctx))
	watcherDone := make(chan struct{})
	go func() {
		defer close(watcherDone)
		if cfg.DatabaseURL != "" {
			app.authz.Watch(wctx, cfg.DatabaseURL, policyReloadInterval, log)
		} else {
			app.authz.ReloadEvery(wctx, policyReloadInterval, log)
		}
	}()
	stopWatcher := func() { cancelWatcher(); <-watcherDone }
	// Background jobs run on every replica, the embedded default included; each run happens on
	// one replica only (see models.Jobs).
	jctx, stopJobs := context.WithCancel(context.WithoutCancel(ctx))
	jobsDone := make(chan struct{})
	go func() {
		defer close(jobsDone)
		app.services.Jobs.Run(jctx, jobTick)
	}()
	// The audit sequencer runs on every replica too; one at a time does the work (see
	// core.Audit.Sequence).
	sequencerDone := make(chan struct{})
	go func() {
		defer close(sequencerDone)
		app.services.Audit.RunSequencer(jctx)
	}()
	err = serveUntilDone(ctx, srv, ln, cfg.ShutdownTimeout, log)
	stopWatcher() // after the requests in flight, before the database closes
	stopJobs()
	<-jobsDone // a run cut off here is run again by another replica once its lease ends
	<-sequencerDone
	// Events of the last requests are sequenced now rather than by the next replica to start.
	if _, err := app.services.Audit.Sequence(context.WithoutCancel(ctx)); err != nil {
		log.Warn("audit sequencer: events left waiting at shutdown; the next sequencer takes them", slog.String("error", err.Error()))
	}
	return err
}

// jobTick is how often a replica looks for background jobs that are due.
const jobTick = 10 * time.Second

// policyReloadInterval is how often a replica reloads the whole policy, in case it missed a
// notification from another.
const policyReloadInterval = 30 * time.Second

// loadServeConfig reads serve's flags and environment and validates them.
func loadServeConfig(args []string, getenv func(string) string, stdout io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	serveFlags(fs, &cfg)
	if err := parseCommand(fs, "Usage: msphub serve [flags]\n\nStarts MSP Hub and serves until SIGTERM or Ctrl-C.", args, getenv, stdout); err != nil {
		return cfg, err
	}
	return cfg, cfg.validate()
}

// app is MSP Hub built from its configuration: the engine, and the database to close after
// the server has stopped.
type app struct {
	engine   *gin.Engine
	db       *core.DB
	services *models.Services
	authz    *policies.Authorizer
}

func (a *app) close() { a.db.Close() }

// build opens the database (migrating it and loading reference data), the blob store and the
// policy, and builds the operations and the engine.
func build(ctx context.Context, cfg *config, log *slog.Logger) (_ *app, err error) {
	db, err := openDatabase(ctx, cfg, log, true)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			db.Close()
		}
	}()
	keys, err := masterKeys(cfg, log)
	if err != nil {
		return nil, err
	}
	blobs, err := openBlobs(ctx, cfg, keys)
	if err != nil {
		return nil, err
	}
	auditKey, err := auditSigningKey(cfg, log)
	if err != nil {
		return nil, err
	}
	services, authz, err := openServices(ctx, cfg, log, db, keys, blobs, auditKey)
	if err != nil {
		return nil, err
	}
	proxies, _ := cfg.trustedProxies() // validated with the rest of cfg
	metrics, _ := cfg.metricsAccess()
	a := &api.App{
		Cfg: api.Config{
			HTTPS:          cfg.https(),
			TrustedProxies: proxies,
			MaxFormBytes:   int64(cfg.MaxFormBytes),
			MaxUploads:     cfg.MaxUploads,

			MaxAttachmentBytes: int64(cfg.MaxAttachmentBytes),
			MaxMaterialBytes:   int64(cfg.MaxMaterialBytes),
			MaxEvidenceBytes:   int64(cfg.MaxEvidenceBytes),

			Metrics:        metrics,
			RequestTimeout: cfg.RequestTimeout,
		},
		Registry: prometheus.NewRegistry(),
		Log:      log,
		Health:   core.NewHealth(db, blobs),
		Services: services,
	}
	if a.Pages, err = frontend.New(log, a); err != nil {
		return nil, err
	}
	engine, err := api.NewEngine(a)
	if err != nil {
		return nil, err
	}
	return &app{engine: engine, db: db, services: services, authz: authz}, nil
}

// openServices loads the policy and the reference organisations and builds the operations.
func openServices(ctx context.Context, cfg *config, log *slog.Logger, db *core.DB, keys *storage.Keyring, blobs *storage.Store, auditKey *core.AuditKey) (*models.Services, *policies.Authorizer, error) {
	authz, err := policies.New(ctx, db.Gorm())
	if err != nil {
		return nil, nil, fmt.Errorf("access policy: %w", err)
	}
	if n, err := identity.SeedOrganisations(ctx, db); err != nil {
		return nil, nil, fmt.Errorf("reference organisations: %w", err)
	} else if n > 0 {
		log.Info("loaded reference organisations", slog.Int("count", n))
	}
	smtp, err := cfg.smtp()
	if err != nil {
		return nil, nil, err
	}
	if smtp != nil {
		log.Info("email on", slog.String("relay", smtp.Addr), slog.String("tls", smtp.TLS))
	}
	return models.New(core.Deps{
		DB: db, Authz: authz, Blobs: blobs, Secrets: keys, Log: log, SMTP: smtp, AuditKey: auditKey,
		Config: core.Config{
			PublicURL:              cfg.PublicURL,
			SessionIdleTimeout:     cfg.SessionIdleTimeout,
			StatsThreshold:         cfg.StatsThreshold,
			SessionAbsoluteTimeout: cfg.SessionMaxAge,
		},
	}), authz, nil
}

// serveUntilDone serves until ctx ends, then shuts down in order: stop accepting, let requests in
// flight finish (up to timeout), return. The caller then closes the database.
func serveUntilDone(ctx context.Context, srv *http.Server, ln net.Listener, timeout time.Duration, log *slog.Logger) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("server stopped: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight", slog.Duration("timeout", timeout))
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

func newLogger(w io.Writer, level string) *slog.Logger {
	l, _ := parseLevel(level) // validated by config
	return slog.New(api.WithRequestIDs(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l})))
}

// openDatabase opens the database and, when migrate is set, applies pending migrations. A
// failure names the setting at fault.
func openDatabase(ctx context.Context, cfg *config, log *slog.Logger, migrate bool) (*core.DB, error) {
	setting := "database-url"
	if cfg.DatabaseURL == "" {
		setting = "data-dir"
	}
	db, err := core.Open(ctx, core.DBConfig{URL: cfg.DatabaseURL, Path: filepath.Join(cfg.DataDir, "msphub.db")})
	if err != nil {
		return nil, settingError(setting, err)
	}
	if !migrate {
		return db, nil
	}
	applied, err := db.Migrate(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	if len(applied) > 0 {
		log.Info("database migrated", slog.Any("versions", applied))
	}
	return db, nil
}

// openBlobs builds the encrypted blob store over S3 or the local disk, and checks it answers.
func openBlobs(ctx context.Context, cfg *config, keys *storage.Keyring) (*storage.Store, error) {
	if cfg.S3Endpoint == "" {
		disk, err := storage.NewDisk(filepath.Join(cfg.DataDir, "blobs"))
		if err != nil {
			return nil, settingError("data-dir", err)
		}
		return storage.New(disk, keys), nil
	}
	s3, err := storage.NewS3(ctx, storage.S3Config{
		Endpoint:  cfg.S3Endpoint,
		Bucket:    cfg.S3Bucket,
		AccessKey: cfg.S3AccessKey,
		SecretKey: cfg.S3SecretKey,
		Region:    cfg.S3Region,
		UseTLS:    cfg.S3TLS,
	})
	switch {
	case errors.Is(err, storage.ErrCredentials):
		return nil, settingError("s3-access-key", errors.New("the S3 store refused the access key or secret key (check MSPHUB_S3_SECRET_KEY too)"))
	case errors.Is(err, storage.ErrNoBucket):
		return nil, settingError("s3-bucket", fmt.Errorf("bucket %q does not exist: create it first", cfg.S3Bucket))
	case err != nil:
		return nil, settingError("s3-endpoint", err)
	}
	return storage.New(s3, keys), nil
}

// auditSigningKey is the key that signs the audit log's checkpoints: MSPHUB_AUDIT_KEY, or the
// key file in the data directory, created on first start like the master key's.
func auditSigningKey(cfg *config, log *slog.Logger) (*core.AuditKey, error) {
	if cfg.AuditKey != "" {
		k, err := core.ParseAuditKey(cfg.AuditKey)
		if err != nil {
			return nil, settingError("audit-key", err)
		}
		if !k.CanSign() {
			return nil, settingError("audit-key", errors.New("is a public key: serve needs the signing key (PRIVATE+KEY+...)"))
		}
		return k, nil
	}
	path := filepath.Join(cfg.DataDir, "audit.key")
	k, created, err := core.LoadOrCreateAuditKeyFile(path)
	if err != nil {
		return nil, settingError("audit-key", err)
	}
	if created {
		log.Warn("created a new audit signing key file: back it up, and give auditors its public key to check checkpoints with",
			slog.String("path", path), slog.String("public_key", k.Public()))
	}
	return k, nil
}

// masterKeys reads the master key (and any older ones kept for a rotation); without one, the
// embedded default keeps a key file in the data directory and says so.
func masterKeys(cfg *config, log *slog.Logger) (*storage.Keyring, error) {
	var older []storage.MasterKey
	for _, s := range strings.Split(cfg.OldMasterKeys, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		k, err := storage.ParseMasterKey(s)
		if err != nil {
			return nil, settingError("old-master-keys", err)
		}
		older = append(older, k)
	}
	if cfg.MasterKey != "" {
		k, err := storage.ParseMasterKey(cfg.MasterKey)
		if err != nil {
			return nil, settingError("master-key", fmt.Errorf("%w (generate one with: openssl rand -base64 32)", err))
		}
		return storage.NewKeyring(k, older...), nil
	}
	path := filepath.Join(cfg.DataDir, "master.key")
	k, created, err := storage.LoadOrCreateKeyFile(path)
	if err != nil {
		return nil, settingError("master-key", err)
	}
	if created {
		log.Warn("created a new master key file: back it up with the data, without it no blob can be read",
			slog.String("path", path), slog.String("key_id", k.ID()))
	}
	return storage.NewKeyring(k, older...), nil
}
