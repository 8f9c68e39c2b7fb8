// CDS Hooks 2.0 services (docs/cds-hooks.md): discovery, patient-view, order-select, order-sign
// and feedback. The EHR's prefetch (plain FHIR R4) is assembled into one Bundle and read by the
// same FHIR reader as every other record (clinical::parse_case); the cards are built from the
// Assessment struct, never from its JSON.
//
// Contract:
//  * A request that is not JSON or has a wrong shape is 400 naming the field; data the service
//    needs and can get neither from the prefetch nor from the EHR's FHIR server is 412; both with
//    an OperationOutcome body.
//  * Prefetch per the specification: a missing key means "not fetched" (fetched here from
//    `fhirServer` when the request gives one), `null` means "nothing found", an OperationOutcome in
//    a slot is treated as missing.
//  * Cards: summary < 140 characters, indicator info | warning | critical, a uuid each, source
//    label (and url); a card with suggestions has selectionBehavior. No card carries a dose the
//    assessment did not give (so none above the label maximum).
//  * No patient data is logged.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "paraderm/assess.h"
#include "paraderm/kb.h"

namespace paraderm::store {
class Store;
}

namespace paraderm::server::cds {

struct Config {
  const kb::KnowledgeBase* kb = nullptr;
  assess::PathwayCache* cache = nullptr;
  store::Store* db = nullptr;  // feedback, and the cases patient-view cards link to
  const assess::SignalSource* signals = nullptr;
  std::string engine_version = "dev";
  // The deployment's label region; empty: the region of the patient's address, as for any FHIR
  // record (none or no KB region: "us" with REGION_ASSUMED on every option, fail safe).
  std::string region;
  int fhir_timeout_ms = 5'000;  // per FHIR query when the prefetch is incomplete
  // The assessment date; empty: today (UTC). Tests pin it so fixtures do not age.
  std::string as_of;
  // A fhirServer reached over plain http is refused (its access token would travel in clear)
  // unless it is on loopback or this is set (--insecure-dev).
  bool allow_http_fhir = false;
};

struct Reply {
  int status = 200;
  std::string body;  // JSON: the CDS response, or an OperationOutcome
};

// Every service this server offers, with the data it reads.
class Services {
 public:
  explicit Services(Config config);
  ~Services();

  const std::string& discovery() const;  // the GET /cds-services body, serialised once
  bool has(std::string_view service_id) const;
  // POST /cds-services/{id}. `base_url`: scheme://host[:port] the client used (for card links).
  Reply call(std::string_view service_id, const std::string& body,
             const std::string& base_url) const;
  // POST /cds-services/{id}/feedback.
  Reply feedback(std::string_view service_id, const std::string& body) const;
  // GET /api/v1/cds-feedback (the web page's read-only list).
  std::string feedback_list() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// An OperationOutcome with one issue (FHIR R4); `reason` (a paraderm reason code such as
// JWT_EXPIRED) goes into issue.details.coding.
std::string operation_outcome(std::string_view issue_code, const std::string& diagnostics,
                              const std::string& expression = "", std::string_view reason = "");

}  // namespace paraderm::server::cds
