package policies

// The actions the policy names, one constant each: models asks with these, and a test checks
// that the policy file uses exactly this set.
const (
	ActAcknowledge     Action = "acknowledge"
	ActAdd             Action = "add"
	ActAdvise          Action = "advise"
	ActApprove         Action = "approve"
	ActAssignRole      Action = "assign_role"
	ActBulk            Action = "bulk"
	ActCancel          Action = "cancel"
	ActCertify         Action = "certify"
	ActCharge          Action = "charge"
	ActClose           Action = "close"
	ActCreate          Action = "create"
	ActDecide          Action = "decide"
	ActDisable         Action = "disable"
	ActEdit            Action = "edit"
	ActExport          Action = "export"
	ActGrantSystemRole Action = "grant_system_role"
	ActImport          Action = "import"
	ActIssue           Action = "issue"
	ActJoin            Action = "join"
	ActManageTeam      Action = "manage_team"
	ActPublish         Action = "publish"
	ActRead            Action = "read"
	ActReadDraft       Action = "read_draft"
	ActRegister        Action = "register"
	ActReport          Action = "report"
	ActRequest         Action = "request"
	ActRespond         Action = "respond"
	ActReturn          Action = "return"
	ActReview          Action = "review"
	ActRevoke          Action = "revoke"
	ActShare           Action = "share"
	ActSubmit          Action = "submit"
	ActUpdate          Action = "update"
	ActUpload          Action = "upload"
	ActVerify          Action = "verify"
	ActWithdraw        Action = "withdraw"
)

// Actions lists every action the policy may name.
func Actions() []Action {
	return []Action{
		ActAcknowledge, ActAdd, ActAdvise, ActApprove, ActAssignRole, ActBulk, ActCancel, ActCertify, ActCharge, ActClose, ActCreate, ActDecide, ActDisable, ActEdit, ActExport, ActGrantSystemRole, ActImport, ActIssue, ActJoin, ActManageTeam, ActPublish, ActRead, ActReadDraft, ActRegister, ActReport, ActRequest, ActRespond, ActReturn, ActReview, ActRevoke, ActShare, ActSubmit, ActUpdate, ActUpload, ActVerify, ActWithdraw,
	}
}
