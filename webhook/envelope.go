package webhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	admissionv1 "k8s.io/api/admission/v1"
	admissionv1beta1 "k8s.io/api/admission/v1beta1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// podReview is an AdmissionReview whose request object is decoded straight into
// a Pod, so one pass over the body decodes both.
type podReview struct {
	metav1.TypeMeta `json:",inline"`
	Request         *podRequest `json:"request,omitempty"`
}

// podRequest is an AdmissionRequest with a typed object. Its Object field, at a
// shallower depth, takes "object" from the embedded request's RawExtension.
type podRequest struct {
	admissionv1.AdmissionRequest
	Object *corev1.Pod `json:"object,omitempty"`
}

// admissionRequest returns the request with the decoded pod in Object.Object,
// where Handler.Handle takes it instead of decoding Object.Raw.
func (r *podRequest) admissionRequest() admission.Request {
	req := admission.Request{AdmissionRequest: r.AdmissionRequest}
	if r.Object != nil {
		req.Object = runtime.RawExtension{Object: r.Object}
	}
	return req
}

// decodeReview decodes body as an AdmissionReview for a core/v1 Pod, or returns
// an error naming what is wrong, with the request UID when the body has one. It is
// the only decode of the review, its object included.
func decodeReview(body []byte) (*podReview, error) {
	review := &podReview{}
	if err := json.Unmarshal(body, review); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			// Field names the embedded Go struct too: request.AdmissionRequest.uid.
			field := strings.Replace(typeErr.Field, "AdmissionRequest.", "", 1)
			return nil, fmt.Errorf("AdmissionReview field %q has the wrong type: %s", field, typeErr.Value)
		}
		return nil, fmt.Errorf("body is not valid JSON: %w", err)
	}
	if review.Kind != "AdmissionReview" {
		return nil, fmt.Errorf("body kind is %q, want AdmissionReview", review.Kind)
	}
	if review.APIVersion != admissionv1.SchemeGroupVersion.String() && review.APIVersion != admissionv1beta1.SchemeGroupVersion.String() {
		return nil, fmt.Errorf("body apiVersion is %q, want %s", review.APIVersion, admissionv1.SchemeGroupVersion)
	}
	req := review.Request
	switch {
	case req == nil:
		return nil, errors.New("AdmissionReview has no request")
	case req.UID == "":
		return nil, errors.New("AdmissionReview request has no uid")
	case req.Operation == "":
		return review, errors.New("AdmissionReview request has no operation")
	}
	return review, checkPodKind(req.Kind)
}

// checkPodKind accepts only core/v1 Pod requests.
func checkPodKind(k metav1.GroupVersionKind) error {
	if k.Group != "" || k.Version != "v1" || k.Kind != "Pod" {
		return &kindError{got: k}
	}
	return nil
}

type kindError struct{ got metav1.GroupVersionKind }

func (e *kindError) Error() string {
	return "this webhook admits core/v1 Pods only; request.kind is " + gvkString(e.got)
}

func gvkString(k metav1.GroupVersionKind) string {
	gv := k.Version
	if k.Group != "" {
		gv = k.Group + "/" + k.Version
	}
	if gv == "" && k.Kind == "" {
		return "empty"
	}
	return gv + ", Kind=" + k.Kind
}
