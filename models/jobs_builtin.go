package models

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/msptp/msphub/storage"
)

// Names of the background jobs of MSP Hub.
const (
	JobExpireSessions          = "expire-sessions"
	JobSweepOrphanedBlobs      = "sweep-orphaned-blobs"
	JobRemindGuidanceReviews   = "remind-guidance-reviews"
	JobExpireTrainingRequests  = "expire-training-requests"
	JobRemindTrainingApprovals = "remind-training-approvals"
	JobRemindCertificates      = "remind-certificate-renewals"
	JobExpireCPSShares         = "expire-cps-shares"
	JobRemindCPSActions        = "remind-cps-actions"
	JobDeliverOutbox           = "deliver-outbox" // only when a mail relay is configured
)

// OrphanGrace is how old a stored object with no blob row must be before the sweep removes it.
// An upload stores its object before its row commits, so a young object without a row may be
// an upload in progress; no upload takes a day.
const OrphanGrace = 24 * time.Hour

// registerJobs lists, in one place, the background jobs of MSP Hub and how often each runs.
// Every job is safe to run again and on several replicas at once (each piece of work is claimed
// in the transaction that does it); the runner only makes each run happen once.
func registerJobs(s *Services, d Deps, audit *Audit) {
	j := s.Jobs
	j.Register(JobExpireSessions, 15*time.Minute, expireSessions(d, audit))
	j.Register(JobSweepOrphanedBlobs, 6*time.Hour, sweepOrphanedBlobs(d, audit))
	j.Register(JobRemindGuidanceReviews, time.Hour, s.Guidance.remindReviews)
	j.Register(JobExpireTrainingRequests, 15*time.Minute, func(ctx context.Context) (string, error) {
		n, err := s.Training.ExpireApprovals(ctx)
		return plural(int64(n), "training request", "training requests") + " expired undecided", err
	})
	j.Register(JobRemindTrainingApprovals, time.Hour, s.Training.RemindExpiringApprovals)
	j.Register(JobRemindCertificates, time.Hour, s.Training.RemindCertificateRenewals)
	j.Register(JobExpireCPSShares, 15*time.Minute, s.CaseFiles.ExpireShares)
	j.Register(JobRemindCPSActions, time.Hour, s.CaseFiles.RemindDueActions)
	if s.Mail != nil {
		j.Register(JobDeliverOutbox, time.Minute, s.Mail.DeliverOutbox)
	}
}

// expireSessions removes the sessions that have ended, by the idle or the absolute time-out:
// Authenticate refuses them already, and they need not wait for their browser to come back to be
// deleted. One audit event records how many went.
func expireSessions(d Deps, audit *Audit) JobFunc {
	return func(ctx context.Context) (string, error) {
		now := d.now()
		cfg := d.Config.withDefaults()
		var n int64
		err := d.DB.InTx(ctx, func(ctx context.Context) error {
			res := d.DB.conn(ctx).Where("expires_at <= ? OR last_seen_at <= ?", now, now.Add(-cfg.SessionIdleTimeout)).Delete(&Session{})
			if res.Error != nil {
				return dbError(res.Error)
			}
			if n = res.RowsAffected; n == 0 {
				return nil
			}
			return audit.Record(ctx, nil, Event{Action: "auth.sessions_expire", ObjectType: "session", Outcome: OutcomeSuccess,
				Details: map[string]string{"count": strconv.FormatInt(n, 10)}})
		})
		if err != nil {
			return "", err
		}
		return plural(n, "expired session", "expired sessions") + " removed", nil
	}
}

// blobPrefix is where putBlob stores objects: the sweep looks there only.
const blobPrefix = "blobs/"

// sweepOrphanedBlobs removes stored objects that no blob row refers to and that are older than
// OrphanGrace: what is left behind when an upload's transaction failed and discarding its
// object failed too, or a replica died between storing an object and recording it. Each
// removal is audited.
func sweepOrphanedBlobs(d Deps, audit *Audit) JobFunc {
	type orphan struct {
		key      string
		size     int64
		modified time.Time
	}
	return func(ctx context.Context) (string, error) {
		cutoff := d.now().Add(-OrphanGrace)
		var (
			stored  int
			old     []orphan
			orphans []orphan
		)
		// check keeps the old objects that have no row, a batch at a time.
		check := func() error {
			if len(old) == 0 {
				return nil
			}
			keys := make([]string, len(old))
			for i, o := range old {
				keys[i] = o.key
			}
			var known []string
			if err := d.DB.conn(ctx).Model(&Blob{}).Where("object_key IN ?", keys).Pluck("object_key", &known).Error; err != nil {
				return dbError(err)
			}
			for _, o := range old {
				if !slices.Contains(known, o.key) {
					orphans = append(orphans, o)
				}
			}
			old = old[:0]
			return nil
		}
		err := d.Blobs.List(ctx, blobPrefix, func(key string, size int64, modified time.Time) error {
			stored++
			if !modified.Before(cutoff) {
				return nil // maybe an upload whose row is about to commit
			}
			old = append(old, orphan{key, size, modified})
			if len(old) == 500 {
				return check()
			}
			return nil
		})
		if err == nil {
			err = check()
		}
		if err != nil {
			return fmt.Sprintf("%s stored; the sweep stopped before removing any", plural(int64(stored), "object", "objects")), storeError(err)
		}
		removed := 0
		for _, o := range orphans {
			if err := d.Blobs.Delete(ctx, o.key); err != nil {
				return fmt.Sprintf("%s stored, %d of %s removed", plural(int64(stored), "object", "objects"), removed, plural(int64(len(orphans)), "orphan", "orphans")), storeError(err)
			}
			removed++
			if err := d.DB.InTx(ctx, func(ctx context.Context) error {
				return audit.Record(ctx, nil, Event{Action: "blob.orphan_remove", ObjectType: "blob_object", ObjectID: o.key, Outcome: OutcomeSuccess,
					Details: map[string]string{"stored_bytes": strconv.FormatInt(o.size, 10), "stored_at": o.modified.UTC().Format(time.RFC3339)}})
			}); err != nil {
				return "", err
			}
		}
		return fmt.Sprintf("%s stored, %s removed", plural(int64(stored), "object", "objects"), plural(int64(removed), "orphan", "orphans")), nil
	}
}

// storeError says the blob store failed, without internals.
func storeError(err error) error {
	var e *Error
	switch {
	case errors.As(err, &e), errors.Is(err, context.Canceled):
		return err
	case errors.Is(err, storage.ErrUnreachable):
		return Unavailable("The file store did not answer the sweep; it will try again.", err)
	}
	return Internal(err)
}

// plural is "1 thing" or "n things".
func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.FormatInt(n, 10) + " " + many
}
