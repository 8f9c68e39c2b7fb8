#include "server/cds_hooks.h"

#include <fmt/format.h>
#include <httplib.h>
#include <openssl/rand.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "paraderm/case.h"
#include "paraderm/store.h"

namespace paraderm::server::cds {
namespace {

using Json = nlohmann::json;

// Not clinical: CDS Hooks 2.0 requires a card summary of fewer than 140 characters.
constexpr std::size_t kSummaryLimit = 140;
// FHIR identifiers of code systems and of the paraderm-defined codes in the cards.
constexpr const char* kReasonSystem = "https://paraderm.dev/fhir/CodeSystem/reason-code";
constexpr const char* kOverrideSystem = "https://paraderm.dev/fhir/CodeSystem/cds-override-reason";
constexpr const char* kTimingSystem = "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation";
constexpr const char* kUcum = "http://unitsofmeasure.org";

std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

// Card and suggestion ids: unique, not secrets. RAND_bytes per id cost 5 % of an order-select call
// (perf), so each thread seeds a 64-bit generator from it once.
std::string uuid4() {
  thread_local std::mt19937_64 gen = [] {
    std::uint64_t seed[2] = {0, 0};
    RAND_bytes(reinterpret_cast<unsigned char*>(seed), sizeof seed);
    std::seed_seq seq{seed[0], seed[1], seed[0] >> 32, seed[1] >> 32};
    return std::mt19937_64(seq);
  }();
  unsigned char b[16];
  for (std::size_t half = 0; half < 2; ++half) {
    std::uint64_t v = gen();
    std::memcpy(b + 8 * half, &v, 8);
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);
  return fmt::format(
      "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:"
      "02x}{:02x}",
      b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
      b[15]);
}

// A summary cut to the limit at a word boundary (the detail carries the whole text).
std::string summary(std::string s) {
  if (s.size() < kSummaryLimit) return s;
  std::size_t cut = s.rfind(' ', kSummaryLimit - 5);
  if (cut == std::string::npos || cut < 40) cut = kSummaryLimit - 5;
  // Never cut inside a UTF-8 sequence.
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut) + " …";
}

// Markdown special characters in KB and record text are escaped so they render as written.
std::string md(std::string_view s) {
  std::string o;
  for (char c : s) {
    if (c == '*' || c == '_' || c == '`' || c == '[' || c == ']' || c == '<' || c == '>' ||
        c == '#' || c == '|')
      o += '\\';
    o += c;
  }
  return o;
}

std::string num(double v) { return fmt::format("{:g}", v); }

struct HttpError {
  int status;
  std::string issue_code, message, expression;
};

// Where each entry of the assembled Bundle came from, to name it in problems and warnings.
struct Origin {
  std::string where;  // e.g. prefetch.conditions.entry[2].resource
  bool draft = false;
  const Json* resource = nullptr;
};

struct Order {
  clinical::Medication med;
  const Json* resource = nullptr;  // the draft MedicationRequest
  std::string where;
};

const char* kPatientTemplate = "Patient/{{context.patientId}}";
// The one optional prefetch key: many EHRs' CDS clients prefetch no Immunization, and the
// vaccine screening items can say "not assessed" where everything else needs the key (412).
constexpr const char* kImmunizationsKey = "immunizations";

}  // namespace

std::string operation_outcome(std::string_view issue_code, const std::string& diagnostics,
                              const std::string& expression, std::string_view reason) {
  Json issue = {{"severity", "error"}, {"code", issue_code}, {"diagnostics", diagnostics}};
  if (!expression.empty()) issue["expression"] = Json::array({expression});
  if (!reason.empty()) {
    issue["details"] = {{"coding", Json::array({{{"system", kReasonSystem}, {"code", reason}}})},
                        {"text", reason}};
  }
  return dump(Json{{"resourceType", "OperationOutcome"}, {"issue", Json::array({issue})}});
}

struct Services::Impl {
  Config cfg;
  const kb::KnowledgeBase& kb;
  std::string discovery;
  std::map<std::string, std::string> hooks;                  // service id -> hook
  std::map<std::string, std::string, std::less<>> prefetch;  // key -> template

  explicit Impl(Config c) : cfg(std::move(c)), kb(*cfg.kb) {
    // The labs the rules read, smoking and pregnancy status: every LOINC code of a KB lab.
    std::string codes;
    for (const auto& lab : kb.labs) {
      for (const auto& code : lab.code) {
        if (code.system != "loinc") continue;
        codes += (codes.empty() ? "" : ",") + std::string("http://loinc.org|") + code.code;
      }
    }
    prefetch = {
        {"patient", kPatientTemplate},
        // Active includes its FHIR sub-states recurrence and relapse (a flare is what PR inference
        // reads).
        {"conditions",
         "Condition?patient={{context.patientId}}&clinical-status=active,recurrence,relapse"},
        // EHRs (Epic among them) name the product through medicationReference: the Medication
        // resources come in the same searchset (FHIR search _include), where the reader resolves
        // them. Without them the biologic or JAK inhibitor of such an order was invisible.
        {"medicationStatements",
         "MedicationStatement?patient={{context.patientId}}&_include=MedicationStatement:"
         "medication"},
        {"medicationRequests",
         "MedicationRequest?patient={{context.patientId}}&_include=MedicationRequest:medication"},
        {"observations", "Observation?patient={{context.patientId}}&code=" + codes},
        {kImmunizationsKey, "Immunization?patient={{context.patientId}}"},
    };
    Json pf = Json::object();
    for (const auto& [k, v] : prefetch) pf[k] = v;
    std::string requirements =
        "Send a Bearer JWT signed with ES384 or RS384 by an issuer registered with paraderm serve "
        "--cds-jwks. "
        "Prefetch every key, or give fhirServer (and fhirAuthorization) so missing keys can be "
        "fetched; immunizations is optional (without it the vaccine screening items read 'not "
        "assessed'). "
        "Codes paraderm reads: SNOMED CT or ICD-10-CM conditions, RxNorm medications (ingredient, "
        "SCD, SBD) or "
        "their names, LOINC observations.";
    Json services = Json::array();
    auto add = [&](const char* id, const char* hook, const char* title, const char* description) {
      hooks[id] = hook;
      services.push_back({{"id", id},
                          {"hook", hook},
                          {"title", title},
                          {"description", description},
                          {"prefetch", pf},
                          {"usageRequirements", requirements}});
    };
    add("paraderm-patient-view", "patient-view",
        "paraderm: paradoxical reactions and JAK inhibitor lab alerts",
        "Recognises a likely or possible paradoxical reaction to a biologic in the record (with "
        "its reasons and "
        "sources), and results that cross a lab threshold of a JAK inhibitor the patient takes.");
    add("paraderm-order-select", "order-select",
        "paraderm: JAK/TYK2 inhibitor and biologic order check",
        "For a JAK/TYK2 inhibitor being ordered: contraindications, cautions, rules the knowledge "
        "base lacks, the "
        "adjusted dose (as a suggestion) and the screening and monitoring plan. For a biologic "
        "with a published "
        "paradoxical-reaction pattern: the risk when the record holds the opposite disease.");
    add("paraderm-order-sign", "order-sign",
        "paraderm: JAK/TYK2 inhibitor and biologic order check at signing",
        "The order-select checks, run again on every draft order when the orders are signed.");
    discovery = dump(Json{{"services", services}});
  }

  // ---- reading the request ---------------------------------------------------------------------

  static const Json* member(const Json& j, std::string_view key) {
    if (!j.is_object()) return nullptr;
    auto it = j.find(key);
    return it == j.end() ? nullptr : &*it;
  }

  static std::string template_fill(const std::string& t, const Json& context) {
    std::string out = t;
    for (std::size_t at = out.find("{{context."); at != std::string::npos;
         at = out.find("{{context.", at)) {
      std::size_t end = out.find("}}", at);
      if (end == std::string::npos) break;
      std::string field = out.substr(at + 10, end - at - 10);
      const Json* v = member(context, field);
      std::string value =
          v && v->is_string() ? httplib::detail::encode_query_param(v->get<std::string>()) : "";
      out.replace(at, end + 2 - at, value);
      at += value.size();
    }
    // Token search values are system|code; a bare '|' is not allowed in a URL (RFC 3986) and
    // strict servers refuse it.
    for (std::size_t at = out.find('|'); at != std::string::npos; at = out.find('|', at))
      out.replace(at, 1, "%7C");
    return out;
  }

  // host[:port] of a URL is this machine (a test's mock FHIR server, a sidecar).
  static bool loopback_origin(std::string_view authority) {
    if (auto at = authority.rfind('@'); at != std::string_view::npos)
      authority.remove_prefix(at + 1);
    std::string_view host = authority;
    if (!host.empty() && host.front() == '[') {
      host = host.substr(0, host.find(']') + 1);
    } else if (auto colon = host.find(':'); colon != std::string_view::npos) {
      host = host.substr(0, colon);
    }
    return host == "localhost" || host == "[::1]" || host.rfind("127.", 0) == 0;
  }

  // GET fhirServer/query; a resource or searchset Bundle, or an error naming the key.
  std::optional<Json> fetch(const std::string& server, const Json* authorization,
                            const std::string& query, std::string& problem) const {
    auto scheme_end = server.find("://");
    if (scheme_end == std::string::npos || (server.compare(0, scheme_end, "http") != 0 &&
                                            server.compare(0, scheme_end, "https") != 0)) {
      problem = "fhirServer: expected an http(s) URL";
      return std::nullopt;
    }
    std::size_t path_at = server.find('/', scheme_end + 3);
    std::string origin = server.substr(0, path_at);
    if (server.compare(0, scheme_end, "http") == 0 && !cfg.allow_http_fhir &&
        !loopback_origin(origin.substr(scheme_end + 3))) {
      problem =
          "fhirServer: expected an https URL (plain http only on loopback or with "
          "--insecure-dev): the fhirAuthorization token would travel in clear";
      return std::nullopt;
    }
    std::string base_path = path_at == std::string::npos ? "" : server.substr(path_at);
    while (!base_path.empty() && base_path.back() == '/') base_path.pop_back();
    httplib::Client client(origin);
    client.set_connection_timeout(std::chrono::milliseconds(cfg.fhir_timeout_ms));
    client.set_read_timeout(std::chrono::milliseconds(cfg.fhir_timeout_ms));
    client.set_write_timeout(std::chrono::milliseconds(cfg.fhir_timeout_ms));
    httplib::Headers headers = {{"Accept", "application/fhir+json"}};
    if (authorization)
      headers.emplace("Authorization",
                      "Bearer " + (*authorization)["access_token"].get<std::string>());
    Json all_entries = Json::array();
    Json first;
    std::string path = base_path + "/" + query;
    // Searchsets may be paged (CDS Hooks 2.0): follow `next` links on the same server, a bounded
    // number of times.
    for (int page = 0; page < 20 && !path.empty(); ++page) {
      auto res = client.Get(path, headers);
      if (!res) {
        problem =
            fmt::format("the FHIR server did not answer ({})", httplib::to_string(res.error()));
        return std::nullopt;
      }
      if (res->status == 404 && query.rfind("Patient/", 0) == 0) return Json(nullptr);
      if (res->status != 200) {
        problem = fmt::format("the FHIR server answered {}", res->status);
        return std::nullopt;
      }
      Json j = Json::parse(res->body, nullptr, false);
      if (j.is_discarded() || !j.is_object()) {
        problem = "the FHIR server's answer is not a JSON object";
        return std::nullopt;
      }
      if (j.value("resourceType", "") != "Bundle") return j;
      if (const Json* e = member(j, "entry"); e && e->is_array()) {
        for (const auto& x : *e) all_entries.push_back(x);
      }
      if (page == 0) first = j;
      path.clear();
      if (const Json* links = member(j, "link"); links && links->is_array()) {
        for (const auto& l : *links) {
          if (l.value("relation", "") != "next" || !l.contains("url") || !l["url"].is_string())
            continue;
          std::string url = l["url"].get<std::string>();
          if (url.rfind(origin, 0) == 0) path = url.substr(origin.size());
        }
      }
    }
    first["entry"] = all_entries;
    return first;
  }

  // ---- the service call ------------------------------------------------------------------------

  Reply call(std::string_view id, const std::string& body, const std::string& base_url) const {
    try {
      return run(id, body, base_url);
    } catch (const HttpError& e) {
      return {e.status, operation_outcome(e.issue_code, e.message, e.expression)};
    }
  }

  // N of a reader pointer "Bundle.entry[N]..." (the assembled Bundle's entry).
  static std::optional<std::size_t> entry_index(const std::string& pointer) {
    constexpr std::string_view kPrefix = "Bundle.entry[";
    if (pointer.rfind(kPrefix, 0) != 0) return std::nullopt;
    std::size_t close = pointer.find(']');
    if (close == std::string::npos) return std::nullopt;
    std::size_t index = 0;
    for (std::size_t i = kPrefix.size(); i < close; ++i) {
      if (pointer[i] < '0' || pointer[i] > '9') return std::nullopt;
      index = index * 10 + static_cast<std::size_t>(pointer[i] - '0');
    }
    return index;
  }

  static HttpError bad(const std::string& field, const std::string& message) {
    return {400, "invalid", field + ": " + message, field};
  }

  // The order hooks' context.draftOrders Bundle (and order-select's selections), checked.
  static const Json* draft_orders(const Json& context, const std::string& hook) {
    const Json* drafts = member(context, "draftOrders");
    if (!drafts || !drafts->is_object() || drafts->value("resourceType", "") != "Bundle") {
      throw bad("context.draftOrders", "expected a FHIR Bundle of draft orders");
    }
    const Json* e = member(*drafts, "entry");
    if (e && !e->is_array()) throw bad("context.draftOrders.entry", "expected an array");
    if (hook == "order-select") {
      const Json* s = member(context, "selections");
      if (!s || !s->is_array())
        throw bad("context.selections", "expected an array of Type/id references");
      for (std::size_t i = 0; i < s->size(); ++i) {
        if (!(*s)[i].is_string())
          throw bad(fmt::format("context.selections[{}]", i), "expected a string Type/id");
      }
    }
    return drafts;
  }

  // Every prefetch key the service asked for: given, null (nothing found), or missing / an
  // OperationOutcome (then fetched from fhirServer into `fetched`, else 412 — for the optional
  // immunizations key, added to `not_sent` instead); keys it did not ask for are read too
  // (nothing the EHR sends is silently dropped). Pairs of key and resource or Bundle, null when
  // nothing was found.
  std::vector<std::pair<std::string, const Json*>> resolve_prefetch(
      const Json* pf, const Json& context, const Json* server, const Json* auth, Json& fetched,
      std::set<std::string>& not_sent) const {
    if (pf && !pf->is_null() && !pf->is_object()) throw bad("prefetch", "expected an object");
    if (pf && pf->is_null()) pf = nullptr;

    std::vector<std::pair<std::string, const Json*>>
        slots;  // key -> resource / Bundle (null: nothing found)
    std::vector<std::string> unavailable;
    for (const auto& [key, tmpl] : prefetch) {
      const Json* v = pf ? member(*pf, key) : nullptr;
      if (v && !v->is_null() && !v->is_object()) {
        throw bad("prefetch." + key, "expected a FHIR resource, a Bundle or null");
      }
      bool outcome = v && v->is_object() && v->value("resourceType", "") == "OperationOutcome";
      if (v && !outcome) {
        slots.emplace_back(key, v);
        continue;
      }
      const bool optional = key == kImmunizationsKey;
      if (!server) {
        if (optional) {
          not_sent.insert(key);
        } else {
          unavailable.push_back(key);
        }
        continue;
      }
      std::string problem;
      auto got = fetch(server->get<std::string>(), auth, template_fill(tmpl, context), problem);
      if (!got && optional) {
        not_sent.insert(key);
        continue;
      }
      if (!got) {
        throw HttpError{412, "not-found",
                        fmt::format("prefetch.{}: {} and could not be fetched: {}", key,
                                    outcome ? "an OperationOutcome" : "missing", problem),
                        "prefetch." + key};
      }
      fetched[key] = std::move(*got);
      slots.emplace_back(key, &fetched[key]);
    }
    if (!unavailable.empty()) {
      std::string keys;
      for (const auto& k : unavailable) keys += (keys.empty() ? "" : ", ") + k;
      throw HttpError{
          412, "not-found",
          fmt::format(
              "prefetch: {} missing (or an OperationOutcome) and no fhirServer to fetch from",
              keys),
          "prefetch." + unavailable.front()};
    }
    // Keys this service did not ask for are read too (nothing the EHR sends is silently dropped).
    if (pf) {
      for (auto it = pf->begin(); it != pf->end(); ++it) {
        if (prefetch.count(it.key())) continue;
        if (!it->is_null() && !it->is_object())
          throw bad("prefetch." + it.key(), "expected a FHIR resource, a Bundle or null");
        if (it->is_object() && it->value("resourceType", "") == "OperationOutcome") continue;
        slots.emplace_back(it.key(), &*it);
      }
    }
    return slots;
  }

  Reply run(std::string_view id, const std::string& body, const std::string& base_url) const {
    const std::string& hook = hooks.at(std::string(id));
    Json req = Json::parse(body, nullptr, false);
    if (req.is_discarded()) throw bad("body", "not valid JSON");
    if (!req.is_object()) throw bad("body", "expected a CDS Hooks request object");
    const Json* h = member(req, "hook");
    if (!h || !h->is_string()) throw bad("hook", "expected a string");
    if (h->get<std::string>() != hook) {
      throw bad("hook", fmt::format("\"{}\": this service answers {}",
                                    h->get<std::string>().substr(0, 60), hook));
    }
    // hookInstance and userId are required by the specification but not read here: a client that
    // omits them (as the public example services' test requests do) is still answered.
    const Json* instance = member(req, "hookInstance");
    if (instance && !instance->is_string()) throw bad("hookInstance", "expected a string (a UUID)");
    const Json* context = member(req, "context");
    if (!context || !context->is_object()) throw bad("context", "expected an object");
    const Json* patient_id = member(*context, "patientId");
    if (!patient_id || !patient_id->is_string() || patient_id->get<std::string>().empty()) {
      throw bad("context.patientId", "expected a string");
    }
    if (const Json* user = member(*context, "userId"); user && !user->is_string()) {
      throw bad("context.userId", "expected a string Type/id");
    }
    const Json* drafts = hook == "patient-view" ? nullptr : draft_orders(*context, hook);
    const Json* server = member(req, "fhirServer");
    if (server && !server->is_string()) throw bad("fhirServer", "expected a URL string");
    const Json* auth = member(req, "fhirAuthorization");
    if (auth && !auth->is_null()) {
      if (!auth->is_object()) throw bad("fhirAuthorization", "expected an object");
      if (!server) throw bad("fhirServer", "missing: required when fhirAuthorization is given");
      for (const char* f : {"access_token", "token_type", "scope", "subject"}) {
        const Json* v = member(*auth, f);
        if (!v || !v->is_string())
          throw bad(std::string("fhirAuthorization.") + f, "expected a string");
      }
      if (!member(*auth, "expires_in") || !(*auth)["expires_in"].is_number()) {
        throw bad("fhirAuthorization.expires_in", "expected a number");
      }
    } else {
      auth = nullptr;
    }
    Json fetched = Json::object();   // owns what was fetched from fhirServer
    std::set<std::string> not_sent;  // optional keys neither sent nor fetched
    const auto slots =
        resolve_prefetch(member(req, "prefetch"), *context, server, auth, fetched, not_sent);

    // One Bundle: the prefetch resources, then the draft medication orders.
    Json bundle = {{"resourceType", "Bundle"}, {"type", "collection"}, {"entry", Json::array()}};
    std::vector<Origin> origins;
    std::set<std::string> draft_ids;
    std::vector<std::pair<std::string, const Json*>> draft_resources;
    if (drafts) {
      if (const Json* e = member(*drafts, "entry")) {
        for (std::size_t i = 0; i < e->size(); ++i) {
          const Json* r = member((*e)[i], "resource");
          if (!r || !r->is_object() || r->value("resourceType", "") != "MedicationRequest")
            continue;
          draft_ids.insert(r->value("id", ""));
          draft_resources.emplace_back(fmt::format("context.draftOrders.entry[{}].resource", i), r);
        }
      }
    }
    bool saw_patient = false;
    auto add_entry = [&](const Json& r, std::string where, bool draft) {
      if (!r.is_object()) return;
      std::string type = r.value("resourceType", "");
      // An OperationOutcome among a searchset's entries (the FHIR server: results omitted) goes
      // to the reader, which notes that the record may be incomplete; a slot that is one was
      // treated as missing above.
      // The EHR may list the draft orders among the patient's MedicationRequests too.
      if (!draft && type == "MedicationRequest" && draft_ids.count(r.value("id", ""))) return;
      if (type == "Patient") saw_patient = true;
      bundle["entry"].push_back({{"resource", r}});
      origins.push_back({std::move(where), draft, &r});
    };
    for (const auto& [key, v] : slots) {
      if (v->is_null()) continue;
      if (v->value("resourceType", "") == "Bundle") {
        if (const Json* e = member(*v, "entry"); e && e->is_array()) {
          for (std::size_t i = 0; i < e->size(); ++i) {
            const Json* r = member((*e)[i], "resource");
            if (r) add_entry(*r, fmt::format("prefetch.{}.entry[{}].resource", key, i), false);
          }
        }
      } else {
        add_entry(*v, "prefetch." + key, false);
      }
    }
    if (!saw_patient) {
      throw HttpError{412, "not-found",
                      "prefetch.patient: the EHR found no Patient (null); nothing can be assessed",
                      "prefetch.patient"};
    }
    for (const auto& [where, r] : draft_resources) add_entry(*r, where, true);

    clinical::ParseOptions po;
    if (!cfg.region.empty()) po.region = cfg.region;
    po.as_of = clinical::parse_date(cfg.as_of.empty() ? clinical::to_string(clinical::today_utc())
                                                      : cfg.as_of);
    auto parsed = clinical::parse_case(dump(bundle), kb, po);
    auto rename = [&](std::string pointer) {
      // "Bundle.entry[7].resource(Observation).valueQuantity" ->
      // "prefetch.observations.entry[2].resource.valueQuantity"
      auto index = entry_index(pointer);
      if (!index || *index >= origins.size()) return pointer;
      std::string rest = pointer.substr(pointer.find(']') + 1);
      if (rest.rfind(".resource", 0) == 0) {
        rest = rest.substr(9);
        if (!rest.empty() && rest.front() == '(') rest = rest.substr(rest.find(')') + 1);
      }
      return origins[*index].where + rest;
    };
    if (!parsed.record) {
      Json issues = Json::array();
      for (const auto& p : parsed.problems) {
        std::string where = rename(p.pointer);
        issues.push_back({{"severity", "error"},
                          {"code", "invalid"},
                          {"diagnostics", where + ": " + p.message},
                          {"expression", Json::array({where})}});
      }
      return {400, dump(Json{{"resourceType", "OperationOutcome"}, {"issue", issues}})};
    }
    clinical::Case record = std::move(*parsed.record);
    for (auto& w : record.warnings) w.pointer = rename(w.pointer);
    // A draft order's status "draft" (and intent "proposal") is what the hook is about, not a
    // note on the record.
    std::erase_if(record.warnings, [](const clinical::InputProblem& w) {
      auto ends_with = [&](std::string_view tail) {
        return w.pointer.size() > tail.size() &&
               w.pointer.compare(w.pointer.size() - tail.size(), tail.size(), tail) == 0;
      };
      return w.pointer.rfind("context.draftOrders.", 0) == 0 &&
             (ends_with(".status") || ends_with(".intent"));
    });

    // The draft orders are what is being decided, not what the patient takes: JAK inhibitors and
    // biologics among them leave the record; other drafts stay as planned co-medications.
    std::vector<Order> orders;
    std::set<std::string> selected;
    if (hook == "order-select") {
      for (const auto& s : (*context)["selections"]) selected.insert(s.get<std::string>());
    }
    for (auto it = record.medications.begin(); it != record.medications.end();) {
      auto index = entry_index(it->pointer);
      const Origin* o =
          index && *index < origins.size() && origins[*index].draft ? &origins[*index] : nullptr;
      if (!o || (!it->jak_drug && !it->biologic)) {
        ++it;
        continue;
      }
      std::string ref = "MedicationRequest/" + o->resource->value("id", "");
      if (hook != "order-select" || selected.empty() || selected.count(ref))
        orders.push_back({*it, o->resource, o->where});
      it = record.medications.erase(it);
    }

    assess::AssessOptions ao;
    ao.cache = cfg.cache;
    ao.signals = cfg.signals;
    ao.engine_version = cfg.engine_version;
    auto a = assess::assess(kb, record, ao);
    // Reasons name the record's entries by the assembled Bundle's paths; the EHR knows them by
    // where it sent them (prefetch key or draft order).
    auto rename_in = [&](std::string& text) {
      for (std::size_t at = text.find("Bundle.entry["); at != std::string::npos;
           at = text.find("Bundle.entry[", at + 1)) {
        std::size_t close = text.find(']', at);
        if (close == std::string::npos) break;
        std::size_t end = close + 1;
        if (text.compare(end, 9, ".resource") == 0) {
          end += 9;
          if (end < text.size() && text[end] == '(') {
            std::size_t paren = text.find(')', end);
            if (paren != std::string::npos) end = paren + 1;
          }
        }
        auto index = entry_index(text.substr(at, close + 1 - at));
        if (!index || *index >= origins.size()) continue;
        text.replace(at, end - at, origins[*index].where);
      }
    };
    for (auto* reasons : {&a.pr.reasons}) {
      for (auto& r : *reasons) rename_in(r.text);
    }
    for (auto& o : a.options) {
      for (auto& r : o.reasons) rename_in(r.text);
    }

    Json cards = Json::array();
    if (hook == "patient-view") {
      patient_view_cards(a, record, bundle, base_url, cards);
    } else {
      for (const auto& order : orders) order_cards(a, record, order, not_sent, base_url, cards);
    }
    return {200, dump(Json{{"cards", cards}})};
  }

  // ---- cards -----------------------------------------------------------------------------------

  Json source(const std::string& base_url, const std::string& url = "") const {
    Json s = {
        {"label", fmt::format("paraderm {} (knowledge base {})", cfg.engine_version, kb.version)}};
    s["url"] = url.empty() ? base_url + "/" : url;
    return s;
  }

  std::string cite(const std::vector<std::string>& ids) const {
    std::string o;
    for (const auto& id : ids) {
      const kb::Source* s = kb.find_source(id);
      std::string link = s && s->url ? *s->url : s && s->doi ? "https://doi.org/" + *s->doi : "";
      std::string title = s ? md(s->title) : md(id);
      o += (o.empty() ? "" : "; ") + (link.empty() ? title : fmt::format("[{}]({})", title, link));
    }
    return o.empty() ? "" : " — " + o;
  }

  std::string reason_lines(const std::vector<assess::Reason>& reasons) const {
    std::string o;
    for (const auto& r : reasons)
      o += fmt::format("* **{}** {}{}\n", assess::to_string(r.code), md(r.text), cite(r.sources));
    return o;
  }

  std::string record_notes(const clinical::Case& record) const {
    if (record.warnings.empty()) return "";
    std::string o =
        fmt::format("\n**Record notes** ({} item(s) of the record were not read as given):\n\n",
                    record.warnings.size());
    std::size_t shown = 0;
    for (const auto& w : record.warnings) {
      if (++shown > 5) {
        o += fmt::format("* … and {} more\n", record.warnings.size() - 5);
        break;
      }
      o += fmt::format("* `{}`: {}\n", w.pointer, md(w.message));
    }
    return o;
  }

  Json card(std::string text, const char* indicator, std::string detail, Json src) const {
    return {{"uuid", uuid4()},
            {"summary", summary(std::move(text))},
            {"indicator", indicator},
            {"detail", std::move(detail)},
            {"source", std::move(src)}};
  }

  std::string drug_name(const std::string& id) const {
    if (const kb::Drug* d = kb.find_drug(id)) return d->name;
    if (const kb::Biologic* b = kb.find_biologic(id)) return b->name;
    return id;
  }

  void patient_view_cards(const assess::Assessment& a, const clinical::Case& record,
                          const Json& bundle, const std::string& base_url, Json& cards) const {
    const auto& pr = a.pr;
    const bool likely = pr.classification == assess::PrClass::kLikely;
    if (likely || pr.classification == assess::PrClass::kPossible) {
      std::string culprit =
          pr.culprits.empty() ? "a biologic" : drug_name(pr.culprits.front().biologic);
      // The phenotype id reads as an adjective ("psoriasiform"); its KB name is in the detail.
      std::string phenotype = pr.phenotype;
      std::string d = fmt::format(
          "**Classification:** {} (Naranjo {}{})\n\n", to_string(pr.classification),
          pr.score ? num(*pr.score) : "unknown",
          pr.naranjo_category ? fmt::format(", {}", to_string(*pr.naranjo_category)) : "");
      for (const auto& p : kb.phenotypes) {
        if (p.id == pr.phenotype)
          d += fmt::format("**Reaction:** {} ({})\n\n", md(p.name), to_string(pr.kind));
      }
      if (!pr.culprits.empty() && pr.culprits.front().days_to_onset) {
        d += fmt::format("**Culprit:** {} ({} days from start to onset)\n\n", md(culprit),
                         *pr.culprits.front().days_to_onset);
      }
      d += "**Reasons**\n\n" + reason_lines(pr.reasons);
      for (const auto& rf : pr.risk_factors) {
        d += fmt::format("* Risk factor: {} ({} {}{}){}\n", md(rf.factor),
                         kb::to_string(rf.measure), num(rf.estimate),
                         rf.ci_low && rf.ci_high
                             ? fmt::format(", 95% CI {}–{}", num(*rf.ci_low), num(*rf.ci_high))
                             : "",
                         cite(rf.sources));
      }
      d += record_notes(record);
      // The case is kept so the card can link to it in the web page (the full assessment there).
      std::string url;
      if (cfg.db) {
        auto saved = cfg.db->save_case("CDS patient-view", "fhir", dump(bundle));
        if (saved.is_ok()) url = fmt::format("{}/?case={}", base_url, saved.value());
      }
      cards.push_back(card(fmt::format("{} paradoxical {} reaction to {}",
                                       likely ? "Likely" : "Possible", phenotype, culprit),
                           likely ? "warning" : "info", d, source(base_url, url)));
    } else {
      // No reaction classified, but one the record cannot place or identify (a condition that
      // began under an unknown medication, after a biologic's stop, with no dates): "not
      // assessed" is a finding to show, never the silence of "nothing found".
      std::vector<assess::Reason> unassessed;
      for (const auto& r : pr.reasons) {
        if (assess::pr_not_assessed(r.code)) unassessed.push_back(r);
      }
      if (!unassessed.empty()) {
        std::string d = "**Not assessed**\n\n" + reason_lines(unassessed) + record_notes(record);
        cards.push_back(card(fmt::format("Possible paradoxical reaction not assessed: {} "
                                         "finding(s) need the record completed",
                                         unassessed.size()),
                             "info", d, source(base_url)));
      }
    }
    // One card per drug, lab and action: the latest crossing result.
    std::map<std::tuple<std::string, std::string, assess::ReasonCode>, const assess::Alert*> latest;
    for (const auto& al : a.plan.alerts) {
      auto& slot = latest[{al.drug, al.lab, al.code}];
      if (!slot || slot->date < al.date) slot = &al;
    }
    for (const auto& [key, al] : latest) {
      const char* indicator =
          al->code == assess::ReasonCode::kLabDoseReduce ? "warning" : "critical";
      std::string d = fmt::format("* **{}** {}{}\n", assess::to_string(al->code), md(al->text),
                                  cite(al->sources));
      d += record_notes(record);
      cards.push_back(card(fmt::format("{}: {} {} {} on {} — {}", drug_name(al->drug), al->lab,
                                       num(al->value), al->unit, al->date, al->action),
                           indicator, d, source(base_url)));
    }
  }

  // Frequency name (a KB dosing-interval constant, e.g. qd) of a FHIR Dosage, when it says.
  std::optional<std::string> frequency_of(const Json& dosage) const {
    const Json* timing = member(dosage, "timing");
    if (!timing) return std::nullopt;
    if (const Json* code = member(*timing, "code")) {
      if (const Json* codings = member(*code, "coding"); codings && codings->is_array()) {
        for (const auto& c : *codings) {
          std::string v = c.value("code", "");
          for (char& ch : v) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
          if (kb.dosing_interval_h(v)) return v;
        }
      }
    }
    if (const Json* repeat = member(*timing, "repeat")) {
      const Json* f = member(*repeat, "frequency");
      const Json* p = member(*repeat, "period");
      std::string unit = repeat->value("periodUnit", "");
      if (f && f->is_number() && p && p->is_number() && f->get<double>() > 0) {
        double hours = p->get<double>() *
                       (unit == "d"    ? 24
                        : unit == "h"  ? 1
                        : unit == "wk" ? 168
                                       : 0) /
                       f->get<double>();
        if (hours > 0) return kb.frequency_of_interval(hours);
      }
    }
    return std::nullopt;
  }

  void order_cards(const assess::Assessment& a, const clinical::Case& record, const Order& order,
                   const std::set<std::string>& not_sent, const std::string& base_url,
                   Json& cards) const {
    if (order.med.biologic) return biologic_cards(record, order, base_url, cards);
    const std::string& drug = *order.med.jak_drug;
    const std::string name = drug_name(drug);
    const assess::Option* o = nullptr;
    for (const auto& opt : a.options) {
      if (opt.kind == assess::OptionKind::kDrug && opt.id == drug) o = &opt;
    }
    if (!o) {
      cards.push_back(card(
          fmt::format("{}: not assessed — no recorded disease it is chosen for", name), "warning",
          "paraderm assesses a JAK/TYK2 inhibitor for the patient's paradoxical reaction or "
          "active immune-mediated skin disease; the record holds neither, so no contraindication, "
          "caution or dose was checked." +
              record_notes(record),
          source(base_url)));
      return;
    }
    std::vector<assess::Reason> blocks, cautions, unknown;
    for (const auto& r : o->reasons) {
      if (r.code == assess::ReasonCode::kRuleUnknown)
        unknown.push_back(r);
      else if (r.severity == assess::Severity::kBlock)
        blocks.push_back(r);
      else if (r.severity == assess::Severity::kWarning || r.severity == assess::Severity::kCaution)
        cautions.push_back(r);
    }
    std::string verdict(assess::to_string(o->verdict));
    // How the record was read (a birth year read as an age, a unit read as another) goes on the
    // first card of the order: the critical one, else the cautions, else the plan. A caution card
    // without it said "age 75" for a patient whose EHR sent only the year 1951.
    bool noted = false;
    if (o->verdict >= assess::Verdict::kAvoid) {
      noted = true;
      cards.push_back(card(
          fmt::format(
              "{}: {} — {}", name,
              o->verdict == assess::Verdict::kContraindicated ? "contraindicated for this patient"
                                                              : "not to be started (avoid)",
              blocks.empty() ? verdict : std::string(assess::to_string(blocks.front().code))),
          "critical",
          fmt::format("**Verdict:** {}\n\n", verdict) + reason_lines(blocks) + record_notes(record),
          source(base_url)));
    }
    if (!cautions.empty()) {
      // The headline names findings about the patient (pregnancy, a boxed warning) before what
      // could not be assessed: a pregnant patient's card read "(SMOKING_UNKNOWN)".
      std::stable_partition(cautions.begin(), cautions.end(), [](const assess::Reason& r) {
        return !assess::is_not_assessed(r.code);
      });
      std::string codes;
      std::vector<assess::ReasonCode> named;
      for (const auto& r : cautions) {
        if (std::find(named.begin(), named.end(), r.code) != named.end()) continue;
        named.push_back(r.code);
        std::string_view c = assess::to_string(r.code);
        if (codes.size() + c.size() + 2 > 60) {
          codes += ", …";
          break;
        }
        codes += (codes.empty() ? "" : ", ") + std::string(c);
      }
      cards.push_back(
          card(fmt::format("{}: {} caution(s) for this patient ({})", name, cautions.size(), codes),
               "warning",
               fmt::format("**Verdict:** {}\n\n", verdict) + reason_lines(cautions) +
                   (noted ? std::string() : record_notes(record)),
               source(base_url)));
      noted = true;
    }
    if (!unknown.empty()) {
      cards.push_back(
          card(fmt::format("{}: {} safety rule(s) not in the knowledge base — check the label",
                           name, unknown.size()),
               "warning", reason_lines(unknown), source(base_url)));
    }
    if (o->verdict <= assess::Verdict::kCaution) {
      plan_card(record, *o, not_sent, base_url, noted ? std::string() : record_notes(record),
                cards);
      dose_card(*o, order, base_url, cards);
    }
  }

  // The screening and monitoring plan of the ordered drug. Each item shows what the record holds
  // (the plan's detail: results with dates, a live vaccine given before the start). Without the
  // immunizations key, the items a vaccine records (kb/vaccines.toml screening_item) are "not
  // assessed", never "not recorded": the EHR did not say.
  void plan_card(const clinical::Case& record, const assess::Option& o,
                 const std::set<std::string>& not_sent, const std::string& base_url,
                 const std::string& notes, Json& cards) const {
    auto plan = assess::safety_plan(kb, record, {o}, record.as_of);
    if (plan.screening.empty() && plan.monitoring.empty()) return;
    const bool no_immunizations = not_sent.count(kImmunizationsKey) > 0;
    std::set<kb::ScreeningKind> vaccine_items;
    bool live_vaccines = false;
    for (const auto& v : kb.vaccines) {
      if (v.screening_item) vaccine_items.insert(*v.screening_item);
      live_vaccines = live_vaccines || v.live;
    }
    std::string d = "**Baseline screening**\n\n";
    std::size_t missing = 0, not_assessed = 0;
    for (const auto& s : plan.screening) {
      std::string status(to_string(s.status));
      std::string detail = s.detail == s.text ? "" : s.detail;
      if (no_immunizations && s.status == assess::ScreeningStatus::kNotRecorded &&
          vaccine_items.count(s.item)) {
        status = "not assessed — the EHR sent no immunizations (prefetch key immunizations)";
        ++not_assessed;
      } else if (s.status == assess::ScreeningStatus::kNotRecorded) {
        ++missing;
      }
      if (no_immunizations && live_vaccines && s.item == kb::ScreeningKind::kVaccination) {
        detail += std::string(detail.empty() ? "" : "; ") +
                  "live vaccines given before the start not assessed: the EHR sent no "
                  "immunizations";
      }
      d += fmt::format("* {} — {}{}{}{}\n", md(kb::to_string(s.item)), status,
                       s.last_date ? " (" + *s.last_date + ")" : "",
                       detail.empty() ? "" : ": " + md(detail), cite(s.sources));
    }
    d += "\n**Monitoring** (from today as the start date)\n\n";
    for (const auto& m : plan.monitoring) {
      d += fmt::format("* {}{}: {}{}\n", m.date.empty() ? "" : m.date + " ", md(m.test), md(m.text),
                       cite(m.sources));
    }
    cards.push_back(card(
        fmt::format("{}: screening ({} of {} not recorded{}) and monitoring plan", drug_name(o.id),
                    missing, plan.screening.size(),
                    not_assessed ? fmt::format(", {} not assessed", not_assessed) : std::string()),
        "info", d + notes, source(base_url)));
  }

  void dose_card(const assess::Option& o, const Order& order, const std::string& base_url,
                 Json& cards) const {
    if (!o.dose || !order.med.amount) return;
    const Json& r = *order.resource;
    std::optional<std::string> ordered_frequency;
    Json dosage = Json::object();
    if (const Json* list = member(r, "dosageInstruction");
        list && list->is_array() && !list->empty() && (*list)[0].is_object()) {
      dosage = (*list)[0];
      ordered_frequency = frequency_of(dosage);
    }
    std::string unit = order.med.unit.value_or("");
    if (unit != o.dose->unit) return;  // another unit: not comparable here (unknown stays unknown)
    bool differs = std::abs(*order.med.amount - o.dose->amount) > 1e-9 ||
                   (ordered_frequency && *ordered_frequency != o.dose->frequency);
    if (!differs) return;
    const auto interval_h = kb.dosing_interval_h(o.dose->frequency);
    // A suggestion must write a FHIR timing; a dose without a KB dosing interval is not suggested.
    if (!interval_h || !(*interval_h > 0)) return;
    std::string frequency_upper = o.dose->frequency;
    for (char& c : frequency_upper)
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    Json timing = {
        {"code",
         {{"coding", Json::array({{{"system", kTimingSystem}, {"code", frequency_upper}}})},
          {"text", frequency_upper}}}};
    double per_day = 24 / *interval_h;
    if (std::abs(per_day - std::round(per_day)) < 1e-9) {
      timing["repeat"] = {{"frequency", std::lround(per_day)}, {"period", 1}, {"periodUnit", "d"}};
    } else {
      timing["repeat"] = {{"frequency", 1}, {"period", *interval_h}, {"periodUnit", "h"}};
    }
    std::string adjusted =
        fmt::format("{} {} {}", num(o.dose->amount), o.dose->unit, frequency_upper);
    std::string ordered = fmt::format("{} {}", num(*order.med.amount), unit);
    if (ordered_frequency) {
      std::string f = *ordered_frequency;
      for (char& c : f) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      ordered = fmt::format("{} {} {}", num(*order.med.amount), unit, f);
    }
    dosage["timing"] = timing;
    dosage["doseAndRate"] = Json::array({{{"doseQuantity",
                                           {{"value", o.dose->amount},
                                            {"unit", o.dose->unit},
                                            {"system", kUcum},
                                            {"code", o.dose->unit}}}}});
    dosage["text"] = adjusted;
    Json updated = r;
    updated["dosageInstruction"] = Json::array({dosage});
    std::string why =
        o.dose->adjustments.empty()
            ? "the label dose for " + o.dose->indication
            : fmt::format("{} ({})", o.dose->indication, fmt::join(o.dose->adjustments, "; "));
    std::vector<assess::Reason> dose_reasons;
    for (const auto& reason : o.reasons) {
      if (assess::sets_dose(reason.code)) {
        dose_reasons.push_back(reason);
      }
    }
    Json suggestion = {
        {"label", fmt::format("Change the dose to {}", adjusted)},
        {"uuid", uuid4()},
        {"isRecommended", true},
        {"actions", Json::array({{{"type", "update"},
                                  {"description", fmt::format("Set the {} dose to {} (was {})",
                                                              drug_name(o.id), adjusted, ordered)},
                                  {"resource", updated}}})}};
    Json c = card(fmt::format("{}: ordered {}; adjusted dose for this patient {}", drug_name(o.id),
                              ordered, adjusted),
                  "warning",
                  fmt::format("**Adjusted dose:** {} — {}\n\n", adjusted, md(why)) +
                      reason_lines(dose_reasons),
                  source(base_url));
    c["suggestions"] = Json::array({suggestion});
    c["selectionBehavior"] = "at-most-one";
    c["overrideReasons"] =
        Json::array({{{"system", kOverrideSystem},
                      {"code", "prescriber-dose"},
                      {"display", "Dose chosen by the prescriber for this patient"}},
                     {{"system", kOverrideSystem},
                      {"code", "record-incomplete"},
                      {"display", "The record is incomplete or out of date"}},
                     {{"system", kOverrideSystem},
                      {"code", "specialist-advice"},
                      {"display", "Following specialist advice"}}});
    cards.push_back(std::move(c));
  }

  static std::string quantity(const kb::Quantity& q) {
    std::string v = q.value           ? num(*q.value)
                    : q.low && q.high ? num(*q.low) + "–" + num(*q.high)
                    : q.low           ? ">= " + num(*q.low)
                    : q.high          ? "<= " + num(*q.high)
                                      : "unknown";
    return fmt::format("{}{}{}{}",
                       q.qualifier ? std::string(kb::to_string(*q.qualifier)) + " " : "", v,
                       q.unit == "%" ? "" : " ", q.unit) +
           (q.stat ? " (" + *q.stat + ")" : "");
  }

  void biologic_cards(const clinical::Case& record, const Order& order, const std::string& base_url,
                      Json& cards) const {
    const kb::Biologic* b = kb.find_biologic(*order.med.biologic);
    if (!b) return;
    // Phenotype -> the published patterns of this biologic (or its class) causing it.
    std::map<std::string, std::vector<const kb::PrPattern*>> by_phenotype;
    for (const auto& p : kb.pr_patterns) {
      if (p.culprit_class != b->biologic_class || (p.culprit && *p.culprit != b->id)) continue;
      by_phenotype[p.phenotype].push_back(&p);
    }
    for (const auto& [phenotype_id, patterns] : by_phenotype) {
      const kb::Phenotype* ph = nullptr;
      for (const auto& p : kb.phenotypes) {
        if (p.id == phenotype_id) ph = &p;
      }
      if (!ph) continue;
      // The opposite disease: the phenotype's disease is already in the record (any status).
      const kb::Disease* held = nullptr;
      for (const auto& disease : ph->diseases) {
        if (record.has_condition(disease, kb)) {
          held = kb.find_disease(disease);
          break;
        }
      }
      if (!held) continue;
      std::string d =
          fmt::format("The record holds **{}**. Published paradoxical {} reactions to {} ({}):\n\n",
                      md(held->name), md(ph->name), md(b->name), md(b->biologic_class));
      for (const auto* p : patterns) {
        d += fmt::format("* {} Incidence: {}.{}\n", md(p->text),
                         p->incidence ? quantity(*p->incidence) : "not published (unknown)",
                         cite(p->prov.src));
      }
      std::string rf_lines;
      for (const auto& rf : kb.risk_factors) {
        if (rf.phenotype != phenotype_id ||
            (rf.culprit_class && *rf.culprit_class != b->biologic_class))
          continue;
        rf_lines +=
            fmt::format("* {} — {} {} {}{}{}\n", md(rf.factor), kb::to_string(rf.direction),
                        kb::to_string(rf.measure), num(rf.estimate),
                        rf.ci_low && rf.ci_high
                            ? fmt::format(" (95% CI {}–{})", num(*rf.ci_low), num(*rf.ci_high))
                            : "",
                        cite(rf.prov.src));
      }
      if (!rf_lines.empty()) d += "\n**Published risk factors**\n\n" + rf_lines;
      std::optional<std::string> incidence;
      for (const auto* p : patterns) {
        if (p->incidence && !incidence) incidence = quantity(*p->incidence);
      }
      cards.push_back(card(
          fmt::format("{}: paradoxical {} reactions are published{}; the patient has {}", b->name,
                      ph->id, incidence ? " (incidence " + *incidence + ")" : "", held->name),
          "warning", d + record_notes(record), source(base_url)));
    }
  }

  // ---- feedback --------------------------------------------------------------------------------

  Reply feedback(std::string_view id, const std::string& body) const {
    try {
      Json req = Json::parse(body, nullptr, false);
      if (req.is_discarded()) throw bad("body", "not valid JSON");
      const Json* list = member(req, "feedback");
      if (!list || !list->is_array() || list->empty())
        throw bad("feedback", "expected a non-empty array");
      std::vector<store::FeedbackRecord> items;
      for (std::size_t i = 0; i < list->size(); ++i) {
        const Json& f = (*list)[i];
        std::string at = fmt::format("feedback[{}]", i);
        if (!f.is_object()) throw bad(at, "expected an object");
        store::FeedbackRecord r;
        r.service = std::string(id);
        const Json* card_id = member(f, "card");
        if (!card_id || !card_id->is_string() || card_id->get<std::string>().empty() ||
            card_id->get<std::string>().size() > 200) {
          throw bad(at + ".card", "expected the card's uuid");
        }
        r.card = card_id->get<std::string>();
        r.outcome = f.value("outcome", "");
        if (r.outcome != "accepted" && r.outcome != "overridden")
          throw bad(at + ".outcome", "expected accepted or overridden");
        const Json* when = member(f, "outcomeTimestamp");
        if (!when || !when->is_string() || !clinical::parse_date(when->get<std::string>())) {
          throw bad(at + ".outcomeTimestamp", "expected an RFC 3339 date-time");
        }
        r.outcome_at = when->get<std::string>().substr(0, 40);
        Json accepted = Json::array();
        if (const Json* s = member(f, "acceptedSuggestions")) {
          if (!s->is_array())
            throw bad(at + ".acceptedSuggestions", "expected an array of {\"id\": uuid}");
          for (std::size_t k = 0; k < s->size(); ++k) {
            const Json* sid = member((*s)[k], "id");
            if (!sid || !sid->is_string())
              throw bad(fmt::format("{}.acceptedSuggestions[{}].id", at, k), "expected a string");
            accepted.push_back(sid->get<std::string>().substr(0, 200));
          }
        } else if (r.outcome == "accepted") {
          throw bad(at + ".acceptedSuggestions", "missing: required when the outcome is accepted");
        }
        r.accepted_suggestions = accepted.dump();
        if (const Json* o = member(f, "overrideReason"); o && !o->is_null()) {
          if (!o->is_object()) throw bad(at + ".overrideReason", "expected an object");
          if (const Json* reason = member(*o, "reason"); reason && !reason->is_null()) {
            if (!reason->is_object()) throw bad(at + ".overrideReason.reason", "expected a Coding");
            if (auto code = reason->value("code", ""); !code.empty())
              r.override_code = code.substr(0, 200);
            if (auto display = reason->value("display", ""); !display.empty())
              r.override_display = display.substr(0, 500);
          }
          if (const Json* comment = member(*o, "userComment"); comment && comment->is_string()) {
            r.override_comment = comment->get<std::string>().substr(0, 2000);
          }
        }
        items.push_back(std::move(r));
      }
      if (!cfg.db) return {500, operation_outcome("exception", "no store configured")};
      auto stored = cfg.db->record_feedback(items);
      if (!stored.is_ok())
        return {500, operation_outcome("exception", "the feedback could not be stored")};
      return {200, dump(Json{{"stored", stored.value()}})};
    } catch (const HttpError& e) {
      return {e.status, operation_outcome(e.issue_code, e.message, e.expression)};
    }
  }

  std::string feedback_list() const {
    Json a = Json::array();
    if (!cfg.db) return dump(a);
    for (const auto& f : cfg.db->list_feedback()) {
      a.push_back(
          {{"id", f.id},
           {"received_at", f.received_at},
           {"service", f.service},
           {"card", f.card},
           {"outcome", f.outcome},
           {"outcome_at", f.outcome_at},
           {"override_code", f.override_code ? Json(*f.override_code) : Json(nullptr)},
           {"override_display", f.override_display ? Json(*f.override_display) : Json(nullptr)},
           {"override_comment", f.override_comment ? Json(*f.override_comment) : Json(nullptr)},
           {"accepted_suggestions", Json::parse(f.accepted_suggestions, nullptr, false)}});
    }
    return dump(a);
  }
};

Services::Services(Config config) : impl_(std::make_unique<Impl>(std::move(config))) {}
Services::~Services() = default;
const std::string& Services::discovery() const { return impl_->discovery; }
bool Services::has(std::string_view id) const { return impl_->hooks.count(std::string(id)) > 0; }
Reply Services::call(std::string_view id, const std::string& body,
                     const std::string& base_url) const {
  return impl_->call(id, body, base_url);
}
Reply Services::feedback(std::string_view id, const std::string& body) const {
  return impl_->feedback(id, body);
}
std::string Services::feedback_list() const { return impl_->feedback_list(); }

}  // namespace paraderm::server::cds
