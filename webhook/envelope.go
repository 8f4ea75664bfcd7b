package webhook

import (
	"encoding/json"
	"errors"
	"fmt"

	admissionv1 "k8s.io/api/admission/v1"
	admissionv1beta1 "k8s.io/api/admission/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// envelope is the part of an AdmissionReview the HTTP front checks before the
// review reaches controller-runtime's decoder.
type envelope struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Request    *struct {
		UID       string                  `json:"uid"`
		Kind      metav1.GroupVersionKind `json:"kind"`
		Operation string                  `json:"operation"`
	} `json:"request"`
}

// checkEnvelope returns the request UID when body is an AdmissionReview for a
// core/v1 Pod, else an error naming what is wrong.
func checkEnvelope(body []byte) (string, error) {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return "", fmt.Errorf("AdmissionReview field %q has the wrong type: %s", typeErr.Field, typeErr.Value)
		}
		return "", fmt.Errorf("body is not valid JSON: %w", err)
	}
	if env.Kind != "AdmissionReview" {
		return "", fmt.Errorf("body kind is %q, want AdmissionReview", env.Kind)
	}
	if env.APIVersion != admissionv1.SchemeGroupVersion.String() && env.APIVersion != admissionv1beta1.SchemeGroupVersion.String() {
		return "", fmt.Errorf("body apiVersion is %q, want %s", env.APIVersion, admissionv1.SchemeGroupVersion)
	}
	if env.Request == nil {
		return "", errors.New("AdmissionReview has no request")
	}
	if env.Request.UID == "" {
		return "", errors.New("AdmissionReview request has no uid")
	}
	if env.Request.Operation == "" {
		return env.Request.UID, errors.New("AdmissionReview request has no operation")
	}
	return env.Request.UID, checkPodKind(env.Request.Kind)
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
