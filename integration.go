package enroll

import "strings"

// IntegrationKind is a document the citizen asks to have shown in the VNeID account
// (Decree 69/2024 lists what may be integrated).
type IntegrationKind string

const (
	IntegrationHealthInsurance     IntegrationKind = "health_insurance"     // thẻ BHYT
	IntegrationDrivingLicence      IntegrationKind = "driving_licence"      // giấy phép lái xe
	IntegrationVehicleRegistration IntegrationKind = "vehicle_registration" // đăng ký xe
	IntegrationTaxCode             IntegrationKind = "tax_code"             // mã số thuế
	IntegrationBirthCertificate    IntegrationKind = "birth_certificate"    // giấy khai sinh
	IntegrationMarriage            IntegrationKind = "marriage_certificate" // giấy chứng nhận kết hôn
)

// AllIntegrationKinds is the order the UI offers them.
func AllIntegrationKinds() []IntegrationKind {
	return []IntegrationKind{
		IntegrationHealthInsurance, IntegrationDrivingLicence, IntegrationVehicleRegistration,
		IntegrationTaxCode, IntegrationBirthCertificate, IntegrationMarriage,
	}
}

func (k IntegrationKind) TranslationKey() string { return "integration." + string(k) }

// IntegrationRequest is one document to integrate; the number is optional because central
// can usually find the document from the personal ID alone.
type IntegrationRequest struct {
	Kind   IntegrationKind
	Number string
}

// Check validates the kind and, when given, that the number is plausible: letters, digits
// and the separators printed on Vietnamese documents, 5 to 20 characters.
func (r IntegrationRequest) Check() error {
	known := false
	for _, k := range AllIntegrationKinds() {
		known = known || k == r.Kind
	}
	if !known {
		return fieldErr(FieldIntegration, CodeIntegrationKind, "value", string(r.Kind))
	}
	n := strings.TrimSpace(r.Number)
	if n == "" {
		return nil
	}
	if len(n) < 5 || len(n) > 20 {
		return fieldErr(FieldIntegration, CodeIntegrationNumber, "value", n, "kind", r.Kind)
	}
	for _, c := range n {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '-' || c == '/' || c == ' ') {
			return fieldErr(FieldIntegration, CodeIntegrationNumber, "value", n, "kind", r.Kind)
		}
	}
	return nil
}
