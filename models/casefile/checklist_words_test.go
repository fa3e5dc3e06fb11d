package casefile

import (
	"context"
	"errors"
	"testing"

	"github.com/msptp/msphub/models/modelstest"
)

// TestChecklistWordingKeptOnlyOnceCommitted: the wording of template items is kept from a read
// outside a write transaction, and never from one inside it, whose new items may roll back and
// leave their ids to others.
func TestChecklistWordingKeptOnlyOnceCommitted(t *testing.T) {
	db := modelstest.OpenDB(t)
	ctx := context.Background()
	var w wordings
	var first TemplateItem
	if err := db.Conn(ctx).Order("id").Take(&first).Error; err != nil {
		t.Fatal(err)
	}
	rolledBack := errors.New("roll back")
	var added int64
	err := db.InTx(ctx, func(ctx context.Context) error {
		ti := TemplateItem{TemplateID: first.TemplateID, ItemText: ItemText{Position: 999, Text: "Not to be kept", Stage: StagePreCharge}}
		if err := db.Conn(ctx).Create(&ti).Error; err != nil {
			return err
		}
		added = ti.ID
		got, err := w.of(ctx, db, []int64{first.ID, added})
		if err != nil {
			return err
		}
		if got[added].Text != "Not to be kept" || got[first.ID].Text != first.Text {
			t.Errorf("inside the transaction: %+v", got)
		}
		return rolledBack
	})
	if !errors.Is(err, rolledBack) {
		t.Fatal(err)
	}
	if len(w.byID) != 0 {
		t.Fatalf("kept the wording read inside a write transaction: %+v", w.byID)
	}
	err = db.InReadTx(ctx, func(ctx context.Context) error {
		got, err := w.of(ctx, db, []int64{first.ID, added})
		if err != nil {
			return err
		}
		if _, ok := got[added]; ok || got[first.ID].Text != first.Text || got[first.ID].Code == "" {
			t.Errorf("after the rollback: %+v", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := w.byID[first.ID]; !ok || len(w.byID) != 1 {
		t.Fatalf("kept %+v, want the committed item %d only", w.byID, first.ID)
	}
}
