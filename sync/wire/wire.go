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
