package main

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/storage"
)

// A backup archive is a gzip-compressed tar file holding, in this order:
//
//	msphub-backup.json      what it is: format, when, which version made it, whether the key is in it
//	master.key              the master key file, when the data directory's key file was in use
//	msphub.db               a consistent snapshot of the SQLite database (VACUUM INTO)
//	objects/<key>           each object a blob row of the snapshot names, as stored: encrypted
//	msphub-backup-end.json  counts and SHA-256s, so a restore knows the archive is whole
//
// The objects are copied exactly as the blob store holds them, still encrypted under their data
// keys; the database rows hold those keys, wrapped by the master key.
const (
	backupFormat   = "msphub-backup/1"
	backupHeader   = "msphub-backup.json"
	backupTrailer  = "msphub-backup-end.json"
	backupDatabase = "msphub.db"
	backupKeyFile  = "master.key"
	backupObjects  = "objects/"
)

// backupHead is the first entry of an archive.
type backupHead struct {
	Format        string    `json:"format"`
	CreatedAt     time.Time `json:"created_at"`
	Version       string    `json:"msphub_version"`
	SchemaVersion int64     `json:"schema_version"`
	MasterKeyFile bool      `json:"master_key_file"`
}

// backupTail is the last entry: what a restore must have read.
type backupTail struct {
	Objects        int64  `json:"objects"`
	ObjectBytes    int64  `json:"object_bytes"`
	DatabaseBytes  int64  `json:"database_bytes"`
	DatabaseSHA256 string `json:"database_sha256"`
	KeyFileSHA256  string `json:"master_key_file_sha256,omitempty"`
}

const backupElsewhere = "msphub backup copies the embedded default (SQLite and blobs on local disk) only. " +
	"With PostgreSQL and S3, back up with the tools made for them: pg_dump (or continuous archiving) for the " +
	"database, and versioning or replication on the bucket for the files; see \"Backups\" under \"Running in " +
	"production\" in the README. msphub storage verify checks the files against the database afterwards"

const backupSummary = "Usage: msphub backup [--archive FILE] [flags]\n\n" +
	"Writes one archive (tar.gz) holding a consistent snapshot of the embedded default: the SQLite\n" +
	"database, every stored file it refers to and, when the data directory's key file is in use, that\n" +
	"key file. MSP Hub keeps serving meanwhile. Give it the settings serve has. With PostgreSQL or S3\n" +
	"it refuses: back those up with pg_dump and bucket versioning (see the README)."

// runBackup writes a backup archive of the embedded default.
func runBackup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg config
	var archive string
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	databaseFlags(fs, &cfg)
	blobStoreFlags(fs, &cfg)
	fs.StringVar(&archive, "archive", "", "archive to write; it must not exist yet (default msphub-backup-YYYYMMDD-HHMMSS.tar.gz here)")
	log, done, err := commandSetup(fs, &cfg, backupSummary, args, getenv, stdout, stderr)
	if done {
		return err
	}
	if cfg.DatabaseURL != "" || cfg.S3Endpoint != "" {
		return errors.New(backupElsewhere)
	}
	if err := embeddedDatabaseExists(&cfg); err != nil {
		return err
	}
	keyFile := ""
	if cfg.MasterKey == "" {
		keyFile = filepath.Join(cfg.DataDir, "master.key")
		if _, err := os.Stat(keyFile); err != nil {
			return settingError("master-key", fmt.Errorf("no master key file at %s, and no MSPHUB_MASTER_KEY: without a key the backup could not be read", keyFile))
		}
	}
	if archive == "" {
		archive = "msphub-backup-" + time.Now().UTC().Format("20060102-150405") + ".tar.gz"
	}
	if _, err := os.Lstat(archive); err == nil {
		return fmt.Errorf("--archive: %s exists already; give a new file name", archive)
	}

	db, err := openDatabase(ctx, &cfg, log, false)
	if err != nil {
		return err
	}
	defer db.Close()
	disk, err := storage.NewDisk(filepath.Join(cfg.DataDir, "blobs"))
	if err != nil {
		return settingError("data-dir", err)
	}

	// Everything is written beside the archive and renamed into place at the end: a backup that
	// fails half-way leaves no archive that looks whole.
	dir := filepath.Dir(archive)
	snap, err := os.CreateTemp(dir, ".msphub-snapshot-*.db")
	if err != nil {
		return fmt.Errorf("--archive: %w", err)
	}
	snap.Close()
	defer os.Remove(snap.Name())
	schema, objects, err := db.Snapshot(ctx, snap.Name())
	if err != nil {
		return err
	}
	part, err := os.CreateTemp(dir, ".msphub-backup-*.part")
	if err != nil {
		return fmt.Errorf("--archive: %w", err)
	}
	defer os.Remove(part.Name()) // after the rename, there is nothing left to remove
	tail, err := writeArchive(ctx, part, backupHead{Format: backupFormat, CreatedAt: time.Now().UTC().Truncate(time.Second),
		Version: version, SchemaVersion: schema, MasterKeyFile: keyFile != ""}, keyFile, snap.Name(), disk, objects)
	if err == nil {
		err = part.Sync()
	}
	if cerr := part.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("backup failed, no archive written: %w", err)
	}
	if err := os.Chmod(part.Name(), 0o600); err != nil {
		return err
	}
	// Link rather than rename, so an archive that appeared meanwhile is never overwritten.
	if err := os.Link(part.Name(), archive); err != nil {
		return fmt.Errorf("--archive: %w", err)
	}
	info, err := os.Stat(archive)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup written to %s (%s): the database (schema version %d, %s) and %d stored files (%s)\n",
		archive, core.HumanBytes(info.Size()), schema, core.HumanBytes(tail.DatabaseBytes), tail.Objects, core.HumanBytes(tail.ObjectBytes))
	if keyFile != "" {
		fmt.Fprintf(stdout, "The archive holds the master key file (%s), as this data directory uses it: whoever has the\n"+
			"archive can read every file in it. Keep it as safe as the data, and off this machine.\n", keyFile)
	} else {
		fmt.Fprintln(stdout, "The master key is not in the archive (it comes from MSPHUB_MASTER_KEY): keep that key safe\n"+
			"elsewhere. Without it no file in the backup, and no second factor, can be read.")
	}
	return nil
}

// writeArchive writes the archive to w: header, key file, database snapshot, the objects, trailer.
func writeArchive(ctx context.Context, w io.Writer, head backupHead, keyFile, snapshot string, disk *storage.Disk, objects []core.StoredObject) (backupTail, error) {
	var tail backupTail
	gz, err := gzip.NewWriterLevel(w, gzip.BestSpeed) // the objects are ciphertext: they do not shrink
	if err != nil {
		return tail, err
	}
	tw := tar.NewWriter(gz)
	modTime := head.CreatedAt
	addJSON := func(name string, v any) error {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: int64(len(b)), ModTime: modTime, Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err = tw.Write(b)
		return err
	}
	addFile := func(name, path string) (int64, string, error) {
		f, err := os.Open(path)
		if err != nil {
			return 0, "", err
		}
		defer f.Close()
		info, err := f.Stat()
		if err != nil {
			return 0, "", err
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: info.Size(), ModTime: modTime, Typeflag: tar.TypeReg}); err != nil {
			return 0, "", err
		}
		h := sha256.New()
		n, err := io.Copy(io.MultiWriter(tw, h), f)
		return n, hex.EncodeToString(h.Sum(nil)), err
	}

	if err := addJSON(backupHeader, head); err != nil {
		return tail, err
	}
	if keyFile != "" {
		_, sum, err := addFile(backupKeyFile, keyFile)
		if err != nil {
			return tail, fmt.Errorf("master key file: %w", err)
		}
		tail.KeyFileSHA256 = sum
	}
	n, sum, err := addFile(backupDatabase, snapshot)
	if err != nil {
		return tail, fmt.Errorf("database snapshot: %w", err)
	}
	tail.DatabaseBytes, tail.DatabaseSHA256 = n, sum
	for _, o := range objects {
		if err := ctx.Err(); err != nil {
			return tail, err
		}
		n, err := addObject(ctx, tw, disk, o.Key, modTime)
		if errors.Is(err, storage.ErrNotFound) {
			return tail, fmt.Errorf("stored file %s, which the database names, is missing from the blob store: run msphub storage verify", o.Key)
		}
		if err != nil {
			return tail, fmt.Errorf("stored file %s: %w", o.Key, err)
		}
		tail.Objects++
		tail.ObjectBytes += n
	}
	if err := addJSON(backupTrailer, tail); err != nil {
		return tail, err
	}
	if err := tw.Close(); err != nil {
		return tail, err
	}
	return tail, gz.Close()
}

// addObject copies one object, as stored, into the archive.
func addObject(ctx context.Context, tw *tar.Writer, disk *storage.Disk, key string, modTime time.Time) (int64, error) {
	rc, err := disk.Get(ctx, key)
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	st, ok := rc.(interface{ Stat() (fs.FileInfo, error) })
	if !ok {
		return 0, errors.New("the disk store did not open a file")
	}
	info, err := st.Stat()
	if err != nil {
		return 0, err
	}
	if err := tw.WriteHeader(&tar.Header{Name: backupObjects + key, Mode: 0o600, Size: info.Size(), ModTime: modTime, Typeflag: tar.TypeReg}); err != nil {
		return 0, err
	}
	// Objects are written once and never changed (a new version is a new key), so the size read
	// at open is the size to the end.
	return io.Copy(tw, rc)
}

const restoreSummary = "Usage: msphub restore --archive FILE [--data-dir DIR] [flags]\n\n" +
	"Brings a backup made by msphub backup back into a data directory, which must be empty or not\n" +
	"exist yet (--force restores over what is there: stop msphub first). It checks the archive is\n" +
	"whole and the database passes SQLite's integrity check before anything takes the place of the\n" +
	"database. Then run msphub audit verify and msphub storage verify, and start msphub serve with\n" +
	"the same --data-dir (and MSPHUB_MASTER_KEY, if the backup holds no key file)."

// runRestore restores a backup archive into a data directory.
func runRestore(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg config
	var archive string
	var force bool
	flags := flag.NewFlagSet("restore", flag.ContinueOnError)
	databaseFlags(flags, &cfg)
	flags.StringVar(&archive, "archive", "", "backup archive to restore (required)")
	flags.BoolVar(&force, "force", false, "restore into a data directory that is not empty, replacing its database and key file")
	if done, err := parseFlagsOrHelp(flags, restoreSummary, args, getenv, stdout); done {
		return err
	}
	if archive == "" {
		return errors.New("--archive: say which backup to restore")
	}
	if cfg.DatabaseURL != "" {
		return errors.New("msphub restore brings back the embedded default (SQLite in the data directory); restore PostgreSQL with pg_restore or psql from your pg_dump")
	}
	dataDir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return settingError("data-dir", err)
	}
	entries, err := os.ReadDir(dataDir)
	existed := err == nil
	switch {
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return settingError("data-dir", err)
	case len(entries) > 0 && !force:
		return settingError("data-dir", fmt.Errorf("%s is not empty: restore into an empty directory, or give --force (with msphub stopped) to replace what is there", dataDir))
	}
	f, err := os.Open(archive)
	if err != nil {
		return fmt.Errorf("--archive: %w", err)
	}
	defer f.Close()
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return settingError("data-dir", err)
	}
	r := &restoring{dir: dataDir, force: force}
	if err := r.run(ctx, f); err != nil {
		r.undo(existed, len(entries) == 0)
		return fmt.Errorf("restore failed: %w", err)
	}
	fmt.Fprintf(stdout, "restored the backup of %s (msphub %s) into %s: the database (schema version %d) and %d stored files (%s)\n",
		r.head.CreatedAt.Format(time.RFC3339), r.head.Version, dataDir, r.head.SchemaVersion, r.tail.Objects, core.HumanBytes(r.tail.ObjectBytes))
	if r.head.MasterKeyFile {
		fmt.Fprintln(stdout, "The master key file is restored too.")
	} else {
		fmt.Fprintln(stdout, "This backup holds no master key: start msphub with the MSPHUB_MASTER_KEY (and MSPHUB_OLD_MASTER_KEYS) it ran with.")
	}
	fmt.Fprintf(stdout, "Check it with: msphub audit verify --data-dir %s; msphub storage verify --data-dir %s\n", dataDir, dataDir)
	return nil
}

// restoring is one restore in progress.
type restoring struct {
	dir   string
	force bool
	head  backupHead
	tail  backupTail

	tmpDB, tmpKey string // written first, renamed into place once everything checks
	disk          *storage.Disk
}

func (r *restoring) run(ctx context.Context, archive io.Reader) error {
	gz, err := gzip.NewReader(archive)
	if err != nil {
		return errors.New("this is not an msphub backup archive (not gzip)")
	}
	tr := tar.NewReader(gz)
	if err := r.readHead(tr); err != nil {
		return err
	}
	if r.disk, err = storage.NewDisk(filepath.Join(r.dir, "blobs")); err != nil {
		return err
	}
	var (
		got       backupTail
		haveTail  bool
		dbHash    hash.Hash
		keyHash   hash.Hash
		restoredK = map[string]bool{}
	)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("the archive is damaged or cut short: %w", err)
		}
		if haveTail {
			return fmt.Errorf("the archive has %s after its end", hdr.Name)
		}
		if hdr.Typeflag != tar.TypeReg {
			return fmt.Errorf("the archive holds %s, which is not a file", hdr.Name)
		}
		switch name := hdr.Name; {
		case name == backupKeyFile && r.tmpKey == "":
			keyHash = sha256.New()
			if r.tmpKey, err = r.writeTemp(".master.key.restoring", io.TeeReader(tr, keyHash)); err != nil {
				return fmt.Errorf("master key file: %w", err)
			}
		case name == backupDatabase && r.tmpDB == "":
			dbHash = sha256.New()
			if r.tmpDB, err = r.writeTemp(".msphub.db.restoring", io.TeeReader(tr, dbHash)); err != nil {
				return fmt.Errorf("database: %w", err)
			}
			got.DatabaseBytes = hdr.Size
		case strings.HasPrefix(name, backupObjects) && r.tmpDB != "":
			key := strings.TrimPrefix(name, backupObjects)
			if restoredK[key] {
				return fmt.Errorf("the archive holds %s twice", key)
			}
			// Put checks the key against the store's rules: no archive entry reaches outside.
			if err := r.disk.Put(ctx, key, tr, hdr.Size); errors.Is(err, io.ErrUnexpectedEOF) {
				return fmt.Errorf("the archive is cut short, in stored file %s (was the backup interrupted or the copy incomplete?)", key)
			} else if err != nil {
				return fmt.Errorf("stored file %s: %w", key, err)
			}
			restoredK[key] = true
			got.Objects++
			got.ObjectBytes += hdr.Size
		case name == backupTrailer:
			if err := json.NewDecoder(io.LimitReader(tr, 1<<20)).Decode(&r.tail); err != nil {
				return fmt.Errorf("the archive's last entry is unreadable: %w", err)
			}
			haveTail = true
		default:
			return fmt.Errorf("the archive holds %s, which no msphub backup has in that place", hdr.Name)
		}
	}
	// The gzip trailer's checksum is checked only when the stream is read to its very end.
	if _, err := io.Copy(io.Discard, gz); err != nil {
		return fmt.Errorf("the archive is damaged: %w", err)
	}
	switch {
	case !haveTail:
		return errors.New("the archive is cut short: it has no end entry (was the backup interrupted?)")
	case r.tmpDB == "":
		return errors.New("the archive holds no database")
	case r.head.MasterKeyFile != (r.tmpKey != ""):
		return errors.New("the archive's master key file is missing")
	case hex.EncodeToString(dbHash.Sum(nil)) != r.tail.DatabaseSHA256 || got.DatabaseBytes != r.tail.DatabaseBytes:
		return errors.New("the database in the archive is not the one the backup wrote (its SHA-256 differs)")
	case keyHash != nil && hex.EncodeToString(keyHash.Sum(nil)) != r.tail.KeyFileSHA256:
		return errors.New("the master key file in the archive is not the one the backup wrote")
	case got.Objects != r.tail.Objects || got.ObjectBytes != r.tail.ObjectBytes:
		return fmt.Errorf("the archive holds %d stored files (%d bytes), its end entry says %d (%d bytes)", got.Objects, got.ObjectBytes, r.tail.Objects, r.tail.ObjectBytes)
	}
	_, want, err := core.InspectSnapshot(ctx, r.tmpDB)
	if err != nil {
		return err
	}
	for _, o := range want {
		if !restoredK[o.Key] {
			return fmt.Errorf("the database names stored file %s, which the archive does not hold", o.Key)
		}
	}
	return r.commit()
}

// readHead reads and checks the archive's first entry, before anything is written.
func (r *restoring) readHead(tr *tar.Reader) error {
	hdr, err := tr.Next()
	if err != nil || hdr.Name != backupHeader {
		return errors.New("this is not an msphub backup archive (it does not start with " + backupHeader + ")")
	}
	if err := json.NewDecoder(io.LimitReader(tr, 1<<20)).Decode(&r.head); err != nil {
		return fmt.Errorf("the archive's first entry is unreadable: %w", err)
	}
	if r.head.Format != backupFormat {
		return fmt.Errorf("the archive is in format %q; this msphub reads %q", r.head.Format, backupFormat)
	}
	return nil
}

// writeTemp writes r to a new file of the data directory, mode 0600, synced.
func (r *restoring) writeTemp(name string, src io.Reader) (string, error) {
	path := filepath.Join(r.dir, name)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return "", err
	}
	_, err = io.Copy(f, src)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return "", err
	}
	return path, nil
}

// commit moves the database and key file into place. A database's WAL and shared-memory files
// left from before (--force) would be applied to the restored database and corrupt it: they go
// first.
func (r *restoring) commit() error {
	db := filepath.Join(r.dir, "msphub.db")
	for _, stale := range []string{db + "-wal", db + "-shm", db + "-journal"} {
		if err := os.Remove(stale); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if err := os.Rename(r.tmpDB, db); err != nil {
		return err
	}
	r.tmpDB = ""
	if r.tmpKey != "" {
		if err := os.Rename(r.tmpKey, filepath.Join(r.dir, "master.key")); err != nil {
			return err
		}
		r.tmpKey = ""
	}
	return storage.SyncDir(r.dir)
}

// undo removes what a failed restore wrote: everything, when the directory was new or empty;
// otherwise the files it added, leaving what was there before.
func (r *restoring) undo(existed, wasEmpty bool) {
	switch {
	case !existed:
		os.RemoveAll(r.dir)
		return
	case wasEmpty:
		entries, _ := os.ReadDir(r.dir)
		for _, e := range entries {
			os.RemoveAll(filepath.Join(r.dir, e.Name()))
		}
		return
	}
	// Objects restored over a directory in use stay: one of them may have replaced an object of
	// the same key that the database there still needs. Those it does not are orphans, which the
	// sweep removes.
	for _, p := range []string{r.tmpDB, r.tmpKey} {
		if p != "" {
			os.Remove(p)
		}
	}
}
