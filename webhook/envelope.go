package webhook

import (
	"encoding/json"
	"errors"
	"fmt"

	admissionv1 "k8s.io/api/admission/v1"
	admissionv1beta1 "k8s.io/api/admission/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// decodeReview decodes body as an AdmissionReview for a core/v1 Pod, or returns
// an error naming what is wrong, with the request UID when the body has one. It is
// the only decode of the review: the handler behind it decodes just the pod.
func decodeReview(body []byte) (*admissionv1.AdmissionReview, error) {
	review := &admissionv1.AdmissionReview{}
	if err := json.Unmarshal(body, review); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return nil, fmt.Errorf("AdmissionReview field %q has the wrong type: %s", typeErr.Field, typeErr.Value)
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
