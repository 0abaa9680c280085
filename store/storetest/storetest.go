// Package storetest is the conformance suite every store.Store backend
// passes. A backend's tests call Run with a factory that returns a fresh,
// empty, migrated store; Run then checks the contract written in the doc
// comments of package store, case by case.
//
// The package also exports the fixture helpers (MustCreateMunicipality,
// MustUpsertResident, MustCreateTenant, ...) that other packages' tests use
// to fill a suite-verified store. It is for tests only: production code
// never imports it.
//
// It imports package store and package kigen, never a backend.
package storetest

import (
	"testing"
	"time"

	"kigen/store"
)

// testCase is one conformance case. It runs on a fresh store of its own.
type testCase struct {
	name string
	run  func(t *testing.T, s store.Store)
}

// suite is every conformance case, grouped by area (one file per area).
var suite = []testCase{
	// municipality.go
	{"CreateMunicipality/OK", testCreateMunicipalityOK},
	{"CreateMunicipality/ErrConflict", testCreateMunicipalityErrConflict},
	{"GetMunicipality/ErrNotFound", testGetMunicipalityErrNotFound},
	{"UpdateMunicipality/OK", testUpdateMunicipalityOK},
	{"UpdateMunicipality/ErrNotFound", testUpdateMunicipalityErrNotFound},
	{"ListMunicipalities/OrderedByCode", testListMunicipalitiesOrderedByCode},
	{"ListMunicipalities/Empty", testListMunicipalitiesEmpty},

	// resident.go
	{"UpsertResident/Create", testUpsertResidentCreate},
	{"UpsertResident/Update", testUpsertResidentUpdate},
	{"UpsertResident/SameRefTwoMunicipalities", testUpsertResidentSameRefTwoMunicipalities},
	{"UpsertResident/ErrNotFound", testUpsertResidentErrNotFound},
	{"UpsertResident/Concurrent", testUpsertResidentConcurrent},
	{"GetResident/OK", testGetResidentOK},
	{"GetResident/ErrNotFound", testGetResidentErrNotFound},
	{"ListResidents/Paging", testListResidentsPaging},
	{"ListResidents/DefaultLimit", testListResidentsDefaultLimit},
	{"DeleteResident/OK", testDeleteResidentOK},
	{"DeleteResident/ErrNotFound", testDeleteResidentErrNotFound},

	// contact.go
	{"UpsertContact/Create", testUpsertContactCreate},
	{"UpsertContact/UpdateByChannel", testUpsertContactUpdateByChannel},
	{"UpsertContact/ChangedAddressClearsFailed", testUpsertContactChangedAddressClearsFailed},
	{"UpsertContact/SameAddressKeepsFailed", testUpsertContactSameAddressKeepsFailed},
	{"UpsertContact/OptedOutAsGiven", testUpsertContactOptedOutAsGiven},
	{"UpsertContact/ErrNotFound", testUpsertContactErrNotFound},
	{"ListContacts/Order", testListContactsOrder},
	{"DeleteContact/OK", testDeleteContactOK},
	{"DeleteContact/ErrNotFound", testDeleteContactErrNotFound},

	// card.go
	{"UpsertCard/Create", testUpsertCardCreate},
	{"UpsertCard/UpdateByKind", testUpsertCardUpdateByKind},
	{"UpsertCard/ChangedExpiresOnClearsRenewalApplied", testUpsertCardChangedExpiresOnClearsRenewalApplied},
	{"UpsertCard/SameExpiresOnKeepsRenewalApplied", testUpsertCardSameExpiresOnKeepsRenewalApplied},
	{"UpsertCard/NextNoticeOnAsGiven", testUpsertCardNextNoticeOnAsGiven},
	{"UpsertCard/ErrNotFound", testUpsertCardErrNotFound},
	{"UpsertCard/DatesRoundTrip", testUpsertCardDatesRoundTrip},
	{"ListCards/Order", testListCardsOrder},
	{"SetCardRenewalApplied/OK", testSetCardRenewalAppliedOK},
	{"SetCardRenewalApplied/ErrNotFound", testSetCardRenewalAppliedErrNotFound},
	{"SetCardNextNoticeOn/OK", testSetCardNextNoticeOnOK},
	{"SetCardNextNoticeOn/ErrNotFound", testSetCardNextNoticeOnErrNotFound},
	{"DeleteCard/OK", testDeleteCardOK},
	{"DeleteCard/ErrNotFound", testDeleteCardErrNotFound},
	{"ListDueCards/OK", testListDueCardsOK},
	{"ListDueCards/Limit", testListDueCardsLimit},
	{"ListDueCards/Empty", testListDueCardsEmpty},

	// notice.go
	{"CreateNotice/OK", testCreateNoticeOK},
	{"CreateNotice/ErrConflict", testCreateNoticeErrConflict},
	{"CreateNotice/SameStageNewExpiry", testCreateNoticeSameStageNewExpiry},
	{"CreateNotice/ErrNotFound", testCreateNoticeErrNotFound},
	{"CreateNotice/ErrConflictInTxContinues", testCreateNoticeErrConflictInTxContinues},
	{"ListNotices/OK", testListNoticesOK},

	// message.go
	{"CreateMessage/OK", testCreateMessageOK},
	{"CreateMessage/NoNotices", testCreateMessageNoNotices},
	{"CreateMessage/ErrNotFound", testCreateMessageErrNotFound},
	{"GetMessage/ErrNotFound", testGetMessageErrNotFound},
	{"CreateMessage/Contract", testCreateMessageContract},
	{"MessageCarriesNotices/OK", testMessageCarriesNotices},
	{"SetMessageState/OK", testSetMessageStateOK},
	{"SetMessageState/ErrNotFound", testSetMessageStateErrNotFound},

	// token.go
	{"SetMessageToken/OK", testSetMessageTokenOK},
	{"SetMessageToken/ErrNotFound", testSetMessageTokenErrNotFound},
	{"GetMessageByToken/ErrNotFound", testGetMessageByTokenErrNotFound},
	{"LinkSecret/OK", testLinkSecretOK},
	{"LinkSecret/Concurrent", testLinkSecretConcurrent},

	// delivery.go
	{"CreateDelivery/OK", testCreateDeliveryOK},
	{"CreateDelivery/ErrNotFound", testCreateDeliveryErrNotFound},
	{"UpdateDelivery/OK", testUpdateDeliveryOK},
	{"UpdateDelivery/ErrNotFound", testUpdateDeliveryErrNotFound},
	{"GetDelivery/ErrNotFound", testGetDeliveryErrNotFound},

	// messagestatus.go
	{"ListResidentMessages/OK", testListResidentMessages},
	{"CountMessagesOn/OK", testCountMessagesOn},
	{"ListPlannedMessagesOn/OK", testListPlannedMessagesOn},
	{"ListDeliveries/OldestFirst", testListDeliveriesOldestFirst},

	// tx.go
	{"InTx/Commit", testInTxCommit},
	{"InTx/RollbackOnError", testInTxRollbackOnError},
	{"InTx/RollbackOnPanic", testInTxRollbackOnPanic},
	{"InTx/Driver", testInTxDriver},
	{"Migrate/Idempotent", testMigrateIdempotent},
	{"Ping/OK", testPingOK},

	// river.go
	{"River/InsertTx", testRiverInsertTx},
	{"River/JobReads", testRiverJobReads},

	// load.go
	{"BulkLoad/OK", testBulkLoad},
	{"BulkLoad/Empty", testBulkLoadEmpty},
	{"ScanHoldings/OK", testScanHoldings},
	{"UndoTick/OK", testUndoTick},
	{"UndoDeliveries/OK", testUndoDeliveries},
	{"CountMessages/OK", testCountMessages},
	{"Checkpoint/DatabaseVersion", testCheckpointAndVersion},

	// optout.go
	{"SetSMSOptOut/OK", testSetSMSOptOut},

	// replan.go
	{"Replan/OK", testReplanOK},
	{"Replan/ErrNotFound", testReplanErrNotFound},
	{"LoadHoldings/OK", testLoadHoldings},

	// scope.go
	{"Scope/OtherMunicipality", testScopeOtherMunicipality},

	// bulk.go
	{"UpsertResidents/MatchesUpsertResident", testUpsertResidentsMatchesUpsertResident},
	{"UpsertResidents/ErrNotFound", testUpsertResidentsErrNotFound},
	{"UpsertResidents/InTx", testUpsertResidentsInTx},
	{"ListResidentsByRef/OK", testListResidentsByRef},
	{"UpsertContacts/MatchesUpsertContact", testUpsertContactsMatchesUpsertContact},
	{"UpsertCards/MatchesUpsertCard", testUpsertCardsMatchesUpsertCard},
	{"Bulk/OtherMunicipality", testBulkOtherMunicipality},
	{"Bulk/Empty", testBulkEmpty},
	{"Bulk/Large", testBulkLarge},

	// tick.go
	{"CreateTick/FinishTick/LastTick", testCreateFinishLastTick},
	{"FinishTick/ErrNotFound", testFinishTickErrNotFound},
	{"LastTick/ErrNotFound", testLastTickErrNotFound},
	{"CreateTick/TimeTravel", testCreateTickTimeTravel},
	{"ListResidents/IDs", testListResidentsIDs},

	// tickbulk.go
	{"CreateNotices/MatchesCreateNotice", testCreateNoticesMatchesCreateNotice},
	{"CreateNotices/ErrNotFound", testCreateNoticesErrNotFound},
	{"CreateMessages/MatchesCreateMessage", testCreateMessagesMatchesCreateMessage},
	{"CreateMessages/ErrNotFound", testCreateMessagesErrNotFound},
	{"SetCardsNextNoticeOn/OK", testSetCardsNextNoticeOn},
	{"CreateNotices/AcrossMunicipalities", testCreateNoticesAcrossMunicipalities},
	{"CreateMessages/AcrossMunicipalities", testCreateMessagesAcrossMunicipalities},
	// holdings.go
	{"ListHoldings/MatchesHoldingsOf", testListHoldingsMatchesHoldingsOf},
	{"ListHoldings/Scoped", testListHoldingsScoped},
	{"ListHoldings/StoredStages", testListHoldingsStoredStages},
	{"TickBulk/Empty", testTickBulkEmpty},

	// followup.go
	{"ListStaleCards/OK", testListStaleCards},
	{"ListUnreachableCandidates/OK", testListUnreachableCandidates},
	{"ListFailedMessages/OK", testListFailedMessages},
	{"ListUnknownSends/OK", testListUnknownSends},
	{"ListDeliveriesByState/OK", testListDeliveriesByState},

	// search.go
	{"SearchResidents/Filters", testSearchResidents},
	{"SearchResidents/Unreachable", testSearchResidentsUnreachable},
	{"SearchResidents/FlagsBulk", testResidentFlagsBulk},
	{"CountSentFailedMessages/OK", testCountSentFailedMessages},

	// audit.go
	{"CreateAuditEntry/OK", testCreateAuditEntryOK},
	{"CreateAuditEntry/ErrNotFound", testCreateAuditEntryErrNotFound},
	{"CreateAuditEntry/Rollback", testCreateAuditEntryRollback},
	{"ListAuditEntries/Filter", testListAuditEntriesFilter},
	{"ListAuditEntries/DefaultLimit", testListAuditEntriesDefaultLimit},

	// ops.go
	{"CountFunnel/Window", testCountFunnel},
	{"CountFailures/Window", testCountFailures},
	{"CountFunnel/LastDelivery", testFunnelLastDelivery},
	{"ProviderReports/LatestWins", testProviderReports},
	{"River/QueueDepth", testRiverQueueDepth},
	{"BulkLoadMessages/OK", testBulkLoadMessages},

	// imports.go
	{"CreateImport/OK", testCreateImportOK},
	{"CreateImport/ErrNotFound", testCreateImportErrNotFound},
	{"UpdateImport/OK", testUpdateImport},
	{"ListImports/Paging", testListImports},
	{"ImportUpload/OK", testImportUpload},
	{"ImportProblems/OK", testImportProblems},

	// migrate.go
	{"MigrationsPending/Migrated", testMigrationsPending},

	// account.go
	{"CreateAccount/OK", testCreateAccountOK},
	{"CreateAccount/Errors", testCreateAccountErrors},
	{"ListAccounts/OK", testListAccounts},
	{"UpdateAccount/OK", testUpdateAccount},
	{"UseTOTPStep/OK", testUseTOTPStep},
	{"SetupTokens/OK", testSetupTokens},
	{"Sessions/OK", testSessions},
	{"LoginFailures/OK", testLoginFailures},
	{"APITokens/OK", testAPITokens},

	// calendar.go
	{"CalendarTokens/OK", testCalendarTokens},
}

// Run runs the conformance suite. Every case calls newStore(t, now) for a
// fresh, empty, migrated store (no municipality in it) whose timestamps
// come from now, and runs in parallel with the others; newStore should
// register the store's Close with t.Cleanup.
//
// now is a Clock of the case's own: the cases that check that UpdatedAt
// moves advance it instead of sleeping.
func Run(t *testing.T, newStore func(t *testing.T, now func() time.Time) store.Store) {
	t.Helper()
	for _, tc := range suite {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := NewClock(clockStart)
			s := newStore(t, c.Now)
			clocks.Store(s, c)
			t.Cleanup(func() { clocks.Delete(s) })
			tc.run(t, s)
		})
	}
}
