package plan

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// DemoWorkflow adds to the demo's trail what the workflow looks like in
// use (internal/demo calls it after the trail): three of Thành phố Pleiku's
// reports waiting for its approver, and one the approver returned with a
// comment. today is the demo's date.
func (s *Store) DemoWorkflow(ctx context.Context, tx *sql.Tx, today string) error {
	rows, err := tx.QueryContext(ctx, `SELECT a.id, a.task_id, a.status, a.progress, t.number FROM task_assignments a JOIN tasks t ON t.id = a.task_id JOIN org_units u ON u.id = a.unit_id
		JOIN plans p ON p.id = t.plan_id
		WHERE u.code = 'GL.PLEIKU' AND a.role = 'lead' AND a.ended_on = '' AND a.status = 'in_progress' AND p.requires_approval = TRUE ORDER BY t.due_on DESC, a.id LIMIT 4`)
	if err != nil {
		return err
	}
	type part struct {
		id, task       int64
		status, number string
		progress       int
	}
	var parts []part
	for rows.Next() {
		var p part
		if err := rows.Scan(&p.id, &p.task, &p.status, &p.progress, &p.number); err != nil {
			rows.Close()
			return err
		}
		parts = append(parts, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	at, err := time.ParseInLocation(time.DateOnly, today, time.FixedZone("ICT", 7*3600))
	if err != nil {
		return err
	}
	const reporter, approver = "Hoàng Văn Em", "Phạm Thu Dung"
	for i, p := range parts {
		progress := min(95, p.progress+10)
		in := UpdateInput{AssignmentID: p.id, Status: "in_progress", Progress: progress,
			Body: fmt.Sprintf("Đã triển khai %d%% khối lượng nhiệm vụ %s; gửi lãnh đạo đơn vị phê duyệt. (Số liệu minh họa của bản demo)", progress, p.number)}
		id, err := s.PostUpdate(ctx, tx, p.task, in, 0, reporter)
		if err != nil {
			return fmt.Errorf("demo report waiting on %s: %w", p.number, err)
		}
		when := at.Add(-time.Duration(24*(i+1)) * time.Hour).UTC()
		if _, err := tx.ExecContext(ctx, `UPDATE task_updates SET created_at = $1 WHERE id = $2`, when, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE task_update_events SET created_at = $1, author = $2 WHERE update_id = $3`, when, reporter, id); err != nil {
			return err
		}
		if i == len(parts)-1 && len(parts) == 4 {
			if err := s.Return(ctx, tx, id, DecisionInput{Comment: "Đề nghị bổ sung biên bản nghiệm thu và số liệu cụ thể trước khi phê duyệt."}, 0, approver); err != nil {
				return err
			}
		}
	}
	return nil
}
