// Package wire names what station and central say to each other over HTTPS: paths, headers,
// upload metadata and the status request. Both sides import it; neither imports the other.
package wire

// The HTTP interface stations use, all under mutual TLS.
const (
	UploadPath = "/v1/uploads/" // tus 1.0: creation, HEAD, PATCH
	StatusPath = "/v1/status"   // POST a StatusRequest, get a signed acknowledgement
	// OutcomeHeader carries what central did with a batch (ack.Batch*) on the upload's last
	// PATCH, or on a creation refused because the batch is already stored.
	OutcomeHeader = "Batch-Outcome"
)

// Upload metadata keys a station sends when it creates an upload.
const (
	MetaBatch   = "batch"
	MetaStation = "station"
)

// StatusRequest asks for the verdicts on records and the outcome of batches.
type StatusRequest struct {
	Records []string
	Batches []string
}

// MaxStatusBatches bounds the batch ids of one StatusRequest: central looks each one up on its
// own, so the bound keeps one request from holding it for long. A station with more batches
// waiting for an outcome asks about the rest in a later request.
const MaxStatusBatches = 10_000

// MaxStatusRecords bounds the record ids of one StatusRequest. A station asks about every
// record it has batched or sent that central has not decided on (store.AwaitingVerdict):
// hundreds in normal work, a few thousand when central's verification or an examiner lags;
// 10 000 is 20 full batches of 500. A station with more asks in several requests of at most
// this many; central answers 413 to a request over it, so one request stays a bounded
// amount of work and of JSON to decode.
const MaxStatusRecords = 10_000
