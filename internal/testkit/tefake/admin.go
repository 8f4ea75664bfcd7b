package tefake

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// AdminHandler serves the fake's switches over HTTP, below /_fake/, for the
// standalone binary. It needs the same bearer token as the API.
//
//	GET    /_fake/requests   the request log (JSON)
//	DELETE /_fake/requests   empty the log
//	GET    /_fake/tests      the stored tests of ?aid= (default group)
//	POST   /_fake/faults     add a Fault: {"method","path","status","delay":"2s","afterHandle","times","every"}
//	DELETE /_fake/faults     clear the faults
func (s *Server) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_fake/requests", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, s.Requests()) })
	mux.HandleFunc("DELETE /_fake/requests", func(w http.ResponseWriter, _ *http.Request) {
		s.ResetLog()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_fake/tests", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Tests(r.URL.Query().Get("aid")))
	})
	mux.HandleFunc("POST /_fake/faults", s.addFaultHTTP)
	mux.HandleFunc("DELETE /_fake/faults", func(w http.ResponseWriter, _ *http.Request) {
		s.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(token), []byte(s.cfg.Token)) != 1 {
			writeProblem(w, http.StatusUnauthorized, problem{Title: "Unauthorized"})
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func (s *Server) addFaultHTTP(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Fault
		Delay string `json:"delay"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&in); err != nil {
		writeProblem(w, http.StatusBadRequest, problem{Title: "Bad Request", Detail: "fault: " + err.Error()})
		return
	}
	if in.Delay != "" {
		d, err := time.ParseDuration(in.Delay)
		if err != nil {
			writeProblem(w, http.StatusBadRequest, problem{Title: "Bad Request", Detail: "fault delay: " + err.Error()})
			return
		}
		in.Fault.Delay = d
	}
	s.AddFault(in.Fault)
	w.WriteHeader(http.StatusNoContent)
}
