// Configuration from OTEL_* / TRAIL_* environment variables: what each variable
// accepts, what a bad value does (one line naming the variable and the value,
// then the default), and the precedence rules.
#include <doctest/doctest.h>

#include <trail/export/settings.hpp>
#include <trail/version.hpp>

#include "support/environment.hpp"

#include <cstdlib>
#include <map>
#include <stdexcept>
#include <string>

using trail::Compression;
using trail::ExporterKind;
using trail::OtlpProtocol;
using trail::SamplerKind;
using trail::Settings;
using namespace std::chrono_literals;

namespace {

struct Parsed {
  Settings settings;
  std::vector<std::string> errors;
};

// An environment that exists only in the test: no setenv, no shared state.
Parsed parse(std::map<std::string, std::string> vars) {
  const trail::detail::EnvLookup lookup = [&vars](const char* name) -> const char* {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
  Parsed p;
  p.settings = trail::detail::settings_from_env(lookup, p.errors);
  return p;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Exactly one problem reported, and it names both the variable and the value.
void check_one_error(const Parsed& p, const std::string& var, const std::string& value) {
  CAPTURE(var);
  CAPTURE(value);
  REQUIRE(p.errors.size() == 1);
  CAPTURE(p.errors[0]);
  CHECK(contains(p.errors[0], "trail: "));
  CHECK(contains(p.errors[0], var));
  CHECK(contains(p.errors[0], "\"" + value + "\""));
  CHECK(p.errors[0].find('\n') == std::string::npos);
}

const std::string* attribute(const Settings& s, const std::string& key) {
  for (const auto& a : s.resource)
    if (a.key == key) return std::get_if<std::string>(&a.value);
  return nullptr;
}

std::size_t count_key(const Settings& s, const std::string& key) {
  std::size_t n = 0;
  for (const auto& a : s.resource) n += a.key == key;
  return n;
}

}  // namespace

TEST_CASE("an empty environment gives the specification's defaults and no message") {
  const auto p = parse({});
  const Settings& s = p.settings;
  CHECK(p.errors.empty());
  CHECK_FALSE(s.sdk_disabled);
  CHECK(s.traces_endpoint == "http://localhost:4318/v1/traces");
  CHECK(s.metrics_endpoint == "http://localhost:4318/v1/metrics");
  CHECK(s.traces_headers.empty());
  CHECK(s.metrics_headers.empty());
  CHECK(s.traces_timeout == 10000ms);
  CHECK(s.metrics_timeout == 10000ms);
  CHECK(s.traces_exporters == std::vector<ExporterKind>{ExporterKind::otlp});
  CHECK(s.metrics_exporters == std::vector<ExporterKind>{ExporterKind::otlp});
  CHECK(s.traces_file == "trail-traces.jsonl");
  CHECK(s.metrics_file == "trail-metrics.jsonl");
  CHECK(s.bsp_schedule_delay == 5000ms);
  CHECK(s.bsp_export_timeout == 30000ms);
  CHECK(s.bsp_max_queue_size == 2048);
  CHECK(s.bsp_max_export_batch_size == 512);
  CHECK(s.span_attribute_count_limit == 128);
  CHECK(s.span_event_count_limit == 128);
  CHECK(s.event_attribute_count_limit == 128);
  CHECK(s.attribute_value_length_limit == Settings::no_limit);
  CHECK(s.sampler == SamplerKind::parentbased_always_on);
  CHECK(s.sampler_ratio == 1.0);
  CHECK(s.metric_export_interval == 60000ms);
  CHECK(s.metric_export_timeout == 30000ms);
  CHECK(s.ring_capacity == 16384);
}

TEST_CASE("the default resource names the executable and the SDK") {
  const auto p = parse({});
  REQUIRE(attribute(p.settings, "service.name"));
  CHECK(*attribute(p.settings, "service.name") == "unknown_service:test_settings");
  CHECK(*attribute(p.settings, "telemetry.sdk.name") == "trail");
  CHECK(*attribute(p.settings, "telemetry.sdk.language") == "cpp");
  CHECK(*attribute(p.settings, "telemetry.sdk.version") == trail::version_string);
  CHECK(std::string(trail::version_string) ==
        std::to_string(TRAIL_VERSION_MAJOR) + "." + std::to_string(TRAIL_VERSION_MINOR) + "." +
            std::to_string(TRAIL_VERSION_PATCH));
  // A default-constructed Settings (code configuration) has the same resource.
  CHECK(Settings{}.resource.size() == p.settings.resource.size());
}

TEST_CASE("an empty or blank value counts as unset") {
  const auto p = parse({{"OTEL_BSP_SCHEDULE_DELAY", ""},
                        {"OTEL_SDK_DISABLED", "  "},
                        {"OTEL_TRACES_SAMPLER", ""},
                        {"OTEL_EXPORTER_OTLP_ENDPOINT", ""},
                        {"OTEL_SERVICE_NAME", ""},
                        {"OTEL_TRACES_EXPORTER", "\t"}});
  CHECK(p.errors.empty());
  CHECK(p.settings.bsp_schedule_delay == 5000ms);
  CHECK(p.settings.traces_endpoint == "http://localhost:4318/v1/traces");
  CHECK(*attribute(p.settings, "service.name") == "unknown_service:test_settings");
  CHECK(p.settings.traces_exporters == std::vector<ExporterKind>{ExporterKind::otlp});
}

TEST_CASE("OTEL_SDK_DISABLED: only true / false, in any case") {
  CHECK(parse({{"OTEL_SDK_DISABLED", "true"}}).settings.sdk_disabled);
  CHECK(parse({{"OTEL_SDK_DISABLED", "TRUE"}}).settings.sdk_disabled);
  CHECK(parse({{"OTEL_SDK_DISABLED", "True"}}).errors.empty());
  const auto f = parse({{"OTEL_SDK_DISABLED", "FALSE"}});
  CHECK_FALSE(f.settings.sdk_disabled);
  CHECK(f.errors.empty());

  for (const char* bad : {"1", "yes", "on", "t", "true!"}) {
    const auto p = parse({{"OTEL_SDK_DISABLED", bad}});
    CHECK_FALSE(p.settings.sdk_disabled);
    check_one_error(p, "OTEL_SDK_DISABLED", bad);
  }
}

TEST_CASE("integers and durations: valid values") {
  const auto p = parse({{"OTEL_BSP_SCHEDULE_DELAY", "250"},
                        {"OTEL_BSP_EXPORT_TIMEOUT", "1000"},
                        {"OTEL_BSP_MAX_QUEUE_SIZE", "4096"},
                        {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "1024"},
                        {"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "16"},
                        {"OTEL_SPAN_EVENT_COUNT_LIMIT", "0"},
                        {"OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", "8"},
                        {"OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "256"},
                        {"OTEL_METRIC_EXPORT_INTERVAL", "1000"},
                        {"OTEL_METRIC_EXPORT_TIMEOUT", "500"},
                        {"OTEL_EXPORTER_OTLP_TIMEOUT", " 2000 "}});
  const Settings& s = p.settings;
  CHECK(p.errors.empty());
  CHECK(s.bsp_schedule_delay == 250ms);
  CHECK(s.bsp_export_timeout == 1000ms);
  CHECK(s.bsp_max_queue_size == 4096);
  CHECK(s.bsp_max_export_batch_size == 1024);
  CHECK(s.span_attribute_count_limit == 16);
  CHECK(s.span_event_count_limit == 0);
  CHECK(s.event_attribute_count_limit == 8);
  CHECK(s.attribute_value_length_limit == 256);
  CHECK(s.metric_export_interval == 1000ms);
  CHECK(s.metric_export_timeout == 500ms);
  CHECK(s.traces_timeout == 2000ms);  // surrounding blanks are trimmed
  CHECK(s.metrics_timeout == 2000ms);
}

TEST_CASE("a timeout of 0 means no limit; a duration of 0 is just 0") {
  const auto p = parse({{"OTEL_EXPORTER_OTLP_TIMEOUT", "0"},
                        {"OTEL_BSP_EXPORT_TIMEOUT", "0"},
                        {"OTEL_METRIC_EXPORT_TIMEOUT", "0"}});
  CHECK(p.errors.empty());
  CHECK(p.settings.traces_timeout == Settings::indefinite);
  CHECK(p.settings.bsp_export_timeout == Settings::indefinite);
  CHECK(p.settings.metric_export_timeout == Settings::indefinite);
}

TEST_CASE("sizes and intervals that would exhaust memory or spin the flusher are clamped, one line each") {
  const auto p = parse({{"OTEL_BSP_MAX_QUEUE_SIZE", "2147483647"},
                        {"OTEL_METRIC_EXPORT_INTERVAL", "0"},
                        {"OTEL_BSP_SCHEDULE_DELAY", "0"}});
  REQUIRE(p.errors.size() == 3);
  for (const auto& e : p.errors) {
    CHECK(contains(e, "trail: "));
    CHECK(e.find('\n') == std::string::npos);
  }
  CHECK(contains(p.errors[0], "OTEL_BSP_MAX_QUEUE_SIZE 2147483647"));
  CHECK(p.settings.bsp_max_queue_size == (1u << 20));
  CHECK(p.settings.bsp_max_export_batch_size == 512);
  CHECK(p.settings.bsp_schedule_delay == 10ms);
  CHECK(p.settings.metric_export_interval == 100ms);
  CHECK(parse({{"OTEL_BSP_MAX_QUEUE_SIZE", "1048576"}}).errors.empty());
}

TEST_CASE("integers: junk, signs, fractions and overflow are rejected, the default stays") {
  const char* bad_values[] = {"abc", "-1", "+5", "5s", "1.5", "0x10", "1 000", "2147483648", "99999999999999999999999"};
  for (const char* bad : bad_values) {
    CAPTURE(bad);
    const auto p = parse({{"OTEL_BSP_SCHEDULE_DELAY", bad}});
    check_one_error(p, "OTEL_BSP_SCHEDULE_DELAY", bad);
    CHECK(p.settings.bsp_schedule_delay == 5000ms);
  }
  // The message says what was expected and what is used instead.
  const auto p = parse({{"OTEL_BSP_SCHEDULE_DELAY", "abc"}});
  CHECK(p.errors.at(0) ==
        "trail: invalid value \"abc\" for OTEL_BSP_SCHEDULE_DELAY (expected a non-negative integer of "
        "milliseconds); using the default 5000");
  // The largest value the specification asks for is accepted.
  CHECK(parse({{"OTEL_BSP_SCHEDULE_DELAY", "2147483647"}}).settings.bsp_schedule_delay == 2147483647ms);
}

TEST_CASE("every integer variable reports a bad value and keeps its default") {
  const std::map<std::string, std::uint64_t> defaults = {
      {"OTEL_BSP_EXPORT_TIMEOUT", 30000},        {"OTEL_BSP_MAX_QUEUE_SIZE", 2048},
      {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", 512},   {"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", 128},
      {"OTEL_SPAN_EVENT_COUNT_LIMIT", 128},      {"OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", 128},
      {"OTEL_ATTRIBUTE_COUNT_LIMIT", 128},       {"OTEL_METRIC_EXPORT_INTERVAL", 60000},
      {"OTEL_METRIC_EXPORT_TIMEOUT", 30000},     {"OTEL_EXPORTER_OTLP_TIMEOUT", 10000},
      {"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", 10000}, {"OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", 10000},
  };
  for (const auto& [var, def] : defaults) {
    const auto p = parse({{var, "-3"}});
    check_one_error(p, var, "-3");
    CHECK(contains(p.errors.at(0), "using the default " + std::to_string(def)));
    const Settings& s = p.settings;
    CHECK(s.bsp_export_timeout == 30000ms);
    CHECK(s.bsp_max_queue_size == 2048);
    CHECK(s.bsp_max_export_batch_size == 512);
    CHECK(s.span_attribute_count_limit == 128);
    CHECK(s.span_event_count_limit == 128);
    CHECK(s.event_attribute_count_limit == 128);
    CHECK(s.metric_export_interval == 60000ms);
    CHECK(s.metric_export_timeout == 30000ms);
    CHECK(s.traces_timeout == 10000ms);
    CHECK(s.metrics_timeout == 10000ms);
  }
  const auto p = parse({{"OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "x"}});
  check_one_error(p, "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "x");
  CHECK(contains(p.errors.at(0), "using the default: no limit"));
  CHECK(p.settings.attribute_value_length_limit == Settings::no_limit);
}

TEST_CASE("batch span processor: sizes must be positive, batch at most the queue") {
  check_one_error(parse({{"OTEL_BSP_MAX_QUEUE_SIZE", "0"}}), "OTEL_BSP_MAX_QUEUE_SIZE", "0");
  check_one_error(parse({{"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "0"}}), "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "0");

  const auto p = parse({{"OTEL_BSP_MAX_QUEUE_SIZE", "100"}, {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "200"}});
  check_one_error(p, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "200");
  CHECK(p.settings.bsp_max_queue_size == 100);
  CHECK(p.settings.bsp_max_export_batch_size == 100);  // clamped to the queue, as the spec says

  // Against the default queue (2048) too.
  const auto q = parse({{"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "5000"}});
  check_one_error(q, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "5000");
  CHECK(q.settings.bsp_max_export_batch_size == 2048);

  // A small queue with the default batch: the default follows silently.
  const auto r = parse({{"OTEL_BSP_MAX_QUEUE_SIZE", "64"}});
  CHECK(r.errors.empty());
  CHECK(r.settings.bsp_max_export_batch_size == 64);
}

TEST_CASE("attribute limits: the generic count is a fallback for the specific ones") {
  const auto p = parse({{"OTEL_ATTRIBUTE_COUNT_LIMIT", "10"}});
  CHECK(p.errors.empty());
  CHECK(p.settings.span_attribute_count_limit == 10);
  CHECK(p.settings.event_attribute_count_limit == 10);
  CHECK(p.settings.span_event_count_limit == 128);  // a count of events, not of attributes

  const auto q = parse({{"OTEL_ATTRIBUTE_COUNT_LIMIT", "10"}, {"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "20"}});
  CHECK(q.settings.span_attribute_count_limit == 20);
  CHECK(q.settings.event_attribute_count_limit == 10);

  const auto r = parse({{"OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "100"}, {"OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "50"}});
  CHECK(r.settings.attribute_value_length_limit == 50);
}

TEST_CASE("OTEL_SERVICE_NAME wins over service.name in OTEL_RESOURCE_ATTRIBUTES") {
  const auto only_attrs = parse({{"OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attrs"}});
  CHECK(*attribute(only_attrs.settings, "service.name") == "from-attrs");

  const auto both =
      parse({{"OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attrs"}, {"OTEL_SERVICE_NAME", "from-service-name"}});
  CHECK(both.errors.empty());
  CHECK(*attribute(both.settings, "service.name") == "from-service-name");
  CHECK(count_key(both.settings, "service.name") == 1);
}

TEST_CASE("OTEL_RESOURCE_ATTRIBUTES: pairs, blanks trimmed, percent-decoded") {
  const auto p = parse({{"OTEL_RESOURCE_ATTRIBUTES",
                         " deployment.environment = staging , note=a%2Cb%3Dc%20d%25 ,,k%C3%A9y=caf%c3%a9,plus=a+b"}});
  CHECK(p.errors.empty());
  CHECK(*attribute(p.settings, "deployment.environment") == "staging");
  CHECK(*attribute(p.settings, "note") == "a,b=c d%");
  CHECK(*attribute(p.settings, "k\xc3\xa9y") == "caf\xc3\xa9");
  CHECK(*attribute(p.settings, "plus") == "a+b");  // '+' is not a space here
  CHECK(*attribute(p.settings, "telemetry.sdk.name") == "trail");
  // A value may contain '=' only encoded; the first '=' splits.
  CHECK(*attribute(parse({{"OTEL_RESOURCE_ATTRIBUTES", "k=a=b"}}).settings, "k") == "a=b");
  // A repeated key: the last one wins, once.
  const auto r = parse({{"OTEL_RESOURCE_ATTRIBUTES", "k=1,k=2"}});
  CHECK(*attribute(r.settings, "k") == "2");
  CHECK(count_key(r.settings, "k") == 1);
}

TEST_CASE("OTEL_RESOURCE_ATTRIBUTES: one bad part discards the whole variable") {
  const char* bad_values[] = {"a=1,b=%zz", "a=1,b=50%", "a=1,b=%4", "a=1,novalue", "a=1,=value", "a=1,%41=%"};
  for (const char* bad : bad_values) {
    const auto p = parse({{"OTEL_RESOURCE_ATTRIBUTES", bad}, {"OTEL_SERVICE_NAME", "svc"}});
    check_one_error(p, "OTEL_RESOURCE_ATTRIBUTES", bad);
    CHECK(contains(p.errors[0], "ignoring the whole variable"));
    CHECK(attribute(p.settings, "a") == nullptr);  // the good part is discarded too
    CHECK(*attribute(p.settings, "service.name") == "svc");  // other variables still apply
    CHECK(*attribute(p.settings, "telemetry.sdk.name") == "trail");
  }
  // A raw control character is not allowed either (encode it).
  check_one_error(parse({{"OTEL_RESOURCE_ATTRIBUTES", "a=x\ry"}}), "OTEL_RESOURCE_ATTRIBUTES", "a=x\\x0dy");
}

TEST_CASE("OTLP endpoint: a base URL gets /v1/<signal>, without a double slash") {
  const auto p = parse({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"}});
  CHECK(p.settings.traces_endpoint == "http://collector:4318/v1/traces");
  CHECK(p.settings.metrics_endpoint == "http://collector:4318/v1/metrics");

  const auto slash = parse({{"OTEL_EXPORTER_OTLP_ENDPOINT", "https://otel.example.com/prefix/"}});
  CHECK(slash.settings.traces_endpoint == "https://otel.example.com/prefix/v1/traces");
  CHECK(slash.settings.metrics_endpoint == "https://otel.example.com/prefix/v1/metrics");
}

TEST_CASE("OTLP endpoint: signal-specific endpoints are used as they are") {
  const auto p = parse({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://base:4318"},
                        {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces:9999/custom"},
                        {"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "http://metrics:9998/"}});
  CHECK(p.errors.empty());
  CHECK(p.settings.traces_endpoint == "http://traces:9999/custom");
  CHECK(p.settings.metrics_endpoint == "http://metrics:9998/");
}

TEST_CASE("OTLP headers: percent-decoded, signal-specific merged over generic") {
  const auto p = parse({{"OTEL_EXPORTER_OTLP_HEADERS", "Authorization=Bearer%20abc , x-tenant=acme"},
                        {"OTEL_EXPORTER_OTLP_TRACES_HEADERS", "X-TENANT=traces-team,x-extra=1"}});
  CHECK(p.errors.empty());
  const trail::Headers traces = {{"Authorization", "Bearer abc"}, {"x-tenant", "traces-team"}, {"x-extra", "1"}};
  const trail::Headers metrics = {{"Authorization", "Bearer abc"}, {"x-tenant", "acme"}};
  CHECK(p.settings.traces_headers == traces);
  CHECK(p.settings.metrics_headers == metrics);
}

TEST_CASE("OTLP headers: CR, LF, NUL and bad names are refused, that header only, value never printed") {
  const auto p = parse({{"OTEL_EXPORTER_OTLP_HEADERS",
                         "good=1,x-injected=secret%0D%0AHost: evil,nul=a%00b,bad name=2,x-bad=%zz,noequals,also-good=3"}});
  const trail::Headers expected = {{"good", "1"}, {"also-good", "3"}};
  CHECK(p.settings.traces_headers == expected);
  CHECK(p.settings.metrics_headers == expected);
  REQUIRE(p.errors.size() == 5);
  CHECK(contains(p.errors[0], "\"x-injected\""));
  CHECK(contains(p.errors[0], "CR, LF"));
  CHECK(contains(p.errors[1], "\"nul\""));
  CHECK(contains(p.errors[2], "\"bad name\""));
  CHECK(contains(p.errors[3], "\"x-bad\""));
  CHECK(contains(p.errors[4], "entry 6"));
  for (const auto& e : p.errors) {
    CAPTURE(e);
    CHECK(contains(e, "OTEL_EXPORTER_OTLP_HEADERS"));
    CHECK_FALSE(contains(e, "secret"));  // header values are credentials: never logged
    CHECK(e.find('\n') == std::string::npos);
  }
}

TEST_CASE("OTEL_EXPORTER_OTLP_PROTOCOL: http/json (the default) or http/protobuf, per signal") {
  const Settings defaults;
  CHECK(defaults.traces_protocol == OtlpProtocol::http_json);
  CHECK(defaults.metrics_protocol == OtlpProtocol::http_json);
  auto p = parse({{"OTEL_EXPORTER_OTLP_PROTOCOL", "HTTP/Protobuf"}});
  CHECK(p.errors.empty());
  CHECK(p.settings.traces_protocol == OtlpProtocol::http_protobuf);
  CHECK(p.settings.metrics_protocol == OtlpProtocol::http_protobuf);
  p = parse({{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"}, {"OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "http/json"}});
  CHECK(p.errors.empty());
  CHECK(p.settings.traces_protocol == OtlpProtocol::http_protobuf);
  CHECK(p.settings.metrics_protocol == OtlpProtocol::http_json);
  p = parse({{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf"}});
  CHECK(p.settings.traces_protocol == OtlpProtocol::http_protobuf);
  CHECK(p.settings.metrics_protocol == OtlpProtocol::http_json);

  p = parse({{"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"}});
  check_one_error(p, "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc");
  CHECK(contains(p.errors[0], "using http/json"));
  CHECK(p.settings.traces_protocol == OtlpProtocol::http_json);
  // A bad per-signal value keeps what the generic variable chose.
  p = parse({{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"}, {"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "thrift"}});
  check_one_error(p, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "thrift");
  CHECK(contains(p.errors[0], "using http/protobuf"));
  CHECK(p.settings.traces_protocol == OtlpProtocol::http_protobuf);
}

TEST_CASE("OTEL_EXPORTER_OTLP_COMPRESSION: gzip or none, per signal") {
  CHECK(Settings{}.traces_compression == Compression::none);
  auto p = parse({{"OTEL_EXPORTER_OTLP_COMPRESSION", "GZIP"}});
  CHECK(p.errors.empty());
  CHECK(p.settings.traces_compression == Compression::gzip);
  CHECK(p.settings.metrics_compression == Compression::gzip);
  p = parse({{"OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"}, {"OTEL_EXPORTER_OTLP_METRICS_COMPRESSION", "none"}});
  CHECK(p.settings.traces_compression == Compression::gzip);
  CHECK(p.settings.metrics_compression == Compression::none);
  p = parse({{"OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "zstd"}});
  check_one_error(p, "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "zstd");
  CHECK(contains(p.errors[0], "using none"));
  CHECK(p.settings.traces_compression == Compression::none);
}

TEST_CASE("OTLP timeouts: signal-specific ones override the generic one") {
  const auto p = parse({{"OTEL_EXPORTER_OTLP_TIMEOUT", "3000"}, {"OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "7000"}});
  CHECK(p.settings.traces_timeout == 3000ms);
  CHECK(p.settings.metrics_timeout == 7000ms);
}

TEST_CASE("OTEL_TRACES_SAMPLER: the six built-in samplers, any case") {
  const std::pair<const char*, SamplerKind> cases[] = {
      {"always_on", SamplerKind::always_on},
      {"always_off", SamplerKind::always_off},
      {"traceidratio", SamplerKind::traceidratio},
      {"parentbased_always_on", SamplerKind::parentbased_always_on},
      {"PARENTBASED_ALWAYS_OFF", SamplerKind::parentbased_always_off},
      {"ParentBased_TraceIdRatio", SamplerKind::parentbased_traceidratio},
  };
  for (const auto& [text, kind] : cases) {
    const auto p = parse({{"OTEL_TRACES_SAMPLER", text}});
    CHECK(p.errors.empty());
    CHECK(p.settings.sampler == kind);
  }
  for (const char* unknown : {"jaeger_remote", "parentbased_jaeger_remote", "xray", "always"}) {
    const auto p = parse({{"OTEL_TRACES_SAMPLER", unknown}});
    check_one_error(p, "OTEL_TRACES_SAMPLER", unknown);
    CHECK(p.settings.sampler == SamplerKind::parentbased_always_on);
  }
}

TEST_CASE("OTEL_TRACES_SAMPLER_ARG: a probability in [0, 1] for the ratio samplers") {
  const auto p = parse({{"OTEL_TRACES_SAMPLER", "traceidratio"}, {"OTEL_TRACES_SAMPLER_ARG", "0.25"}});
  CHECK(p.errors.empty());
  CHECK(p.settings.sampler_ratio == 0.25);
  CHECK(parse({{"OTEL_TRACES_SAMPLER", "parentbased_traceidratio"}, {"OTEL_TRACES_SAMPLER_ARG", "0"}})
            .settings.sampler_ratio == 0.0);
  CHECK(parse({{"OTEL_TRACES_SAMPLER", "traceidratio"}, {"OTEL_TRACES_SAMPLER_ARG", "1"}}).settings.sampler_ratio ==
        1.0);

  for (const char* bad : {"1.5", "-0.1", "-0", "abc", "0.5x", "nan", "inf", "+0.5", "0,5"}) {
    const auto q = parse({{"OTEL_TRACES_SAMPLER", "traceidratio"}, {"OTEL_TRACES_SAMPLER_ARG", bad}});
    check_one_error(q, "OTEL_TRACES_SAMPLER_ARG", bad);
    CHECK(q.settings.sampler == SamplerKind::traceidratio);
    CHECK(q.settings.sampler_ratio == 1.0);
  }
  // Only used when a ratio sampler is named (spec): otherwise ignored, silently.
  const auto r = parse({{"OTEL_TRACES_SAMPLER_ARG", "0.5"}});
  CHECK(r.errors.empty());
  CHECK(r.settings.sampler_ratio == 1.0);
}

TEST_CASE("OTEL_TRACES_EXPORTER / OTEL_METRICS_EXPORTER: comma-separated lists") {
  const auto p = parse({{"OTEL_TRACES_EXPORTER", "otlp, Console,file,otlp"}, {"OTEL_METRICS_EXPORTER", "none"}});
  CHECK(p.errors.empty());
  CHECK(p.settings.traces_exporters ==
        std::vector<ExporterKind>{ExporterKind::otlp, ExporterKind::console, ExporterKind::file});
  CHECK(p.settings.metrics_exporters.empty());  // "none": no exporter

  const auto skip = parse({{"OTEL_TRACES_EXPORTER", "console,zipkin"}});
  check_one_error(skip, "OTEL_TRACES_EXPORTER", "console,zipkin");
  CHECK(contains(skip.errors[0], "skipping \"zipkin\""));
  CHECK(skip.settings.traces_exporters == std::vector<ExporterKind>{ExporterKind::console});

  // Nothing usable left: the setting is ignored, the default applies.
  const auto unknown = parse({{"OTEL_METRICS_EXPORTER", "prometheus"}});
  check_one_error(unknown, "OTEL_METRICS_EXPORTER", "prometheus");
  CHECK(unknown.settings.metrics_exporters == std::vector<ExporterKind>{ExporterKind::otlp});

  // "none" with real exporters is contradictory: reported, the exporters win.
  const auto mixed = parse({{"OTEL_TRACES_EXPORTER", "none,file"}});
  check_one_error(mixed, "OTEL_TRACES_EXPORTER", "none,file");
  CHECK(mixed.settings.traces_exporters == std::vector<ExporterKind>{ExporterKind::file});
}

TEST_CASE("OTEL_TRACES_EXPORTER takes html and perfetto; their files from TRAIL_HTML_FILE / TRAIL_PERFETTO_FILE") {
  const auto d = parse({});
  CHECK(d.settings.html_file == "trail-run.html");
  CHECK(d.settings.perfetto_file == "trail-run.pftrace");
  const auto p = parse({{"OTEL_TRACES_EXPORTER", "otlp,HTML, perfetto"},
                        {"TRAIL_HTML_FILE", "/tmp/run.html"},
                        {"TRAIL_PERFETTO_FILE", "run.pftrace"}});
  CHECK(p.errors.empty());
  CHECK(p.settings.traces_exporters ==
        std::vector<ExporterKind>{ExporterKind::otlp, ExporterKind::html, ExporterKind::perfetto});
  CHECK(p.settings.html_file == "/tmp/run.html");
  CHECK(p.settings.perfetto_file == "run.pftrace");
}

TEST_CASE("metrics follow an explicit traces choice of console, file or none unless OTEL_METRICS_EXPORTER is set") {
  using List = std::vector<ExporterKind>;
  CHECK(parse({{"OTEL_TRACES_EXPORTER", "console"}}).settings.metrics_exporters == List{ExporterKind::console});
  CHECK(parse({{"OTEL_TRACES_EXPORTER", "file"}}).settings.metrics_exporters == List{ExporterKind::file});
  CHECK(parse({{"OTEL_TRACES_EXPORTER", "none"}}).settings.metrics_exporters.empty());
  // With otlp among the traces exporters, or metrics named explicitly, metrics keep their own choice.
  CHECK(parse({{"OTEL_TRACES_EXPORTER", "otlp,console"}}).settings.metrics_exporters == List{ExporterKind::otlp});
  CHECK(parse({{"OTEL_TRACES_EXPORTER", "console"}, {"OTEL_METRICS_EXPORTER", "otlp"}}).settings.metrics_exporters ==
        List{ExporterKind::otlp});
  CHECK(parse({}).settings.metrics_exporters == List{ExporterKind::otlp});
}

TEST_CASE("file exporter paths") {
  const auto p = parse({{"TRAIL_TRACES_FILE", "/tmp/t.jsonl"}, {"TRAIL_METRICS_FILE", "m.jsonl"}});
  CHECK(p.settings.traces_file == "/tmp/t.jsonl");
  CHECK(p.settings.metrics_file == "m.jsonl");
}

TEST_CASE("TRAIL_RING_CAPACITY: a power of two in [64, 2^24], others rounded up or clamped") {
  CHECK(parse({{"TRAIL_RING_CAPACITY", "1024"}}).settings.ring_capacity == 1024);
  CHECK(parse({{"TRAIL_RING_CAPACITY", "64"}}).errors.empty());
  CHECK(parse({{"TRAIL_RING_CAPACITY", "16777216"}}).errors.empty());

  const std::pair<const char*, std::uint32_t> fixed[] = {
      {"1000", 1024}, {"65", 128}, {"0", 64}, {"1", 64}, {"16777217", 16777216}, {"2147483647", 16777216}};
  for (const auto& [text, expected] : fixed) {
    const auto p = parse({{"TRAIL_RING_CAPACITY", text}});
    check_one_error(p, "TRAIL_RING_CAPACITY", text);
    CHECK(contains(p.errors[0], "using " + std::to_string(expected)));
    CHECK(p.settings.ring_capacity == expected);
  }
  const auto junk = parse({{"TRAIL_RING_CAPACITY", "big"}});
  check_one_error(junk, "TRAIL_RING_CAPACITY", "big");
  CHECK(junk.settings.ring_capacity == 16384);
}

TEST_CASE("TRAIL_CODE_ATTRIBUTES picks the code.* attributes; TRAIL_SOURCE_ROOT is the root cut off") {
  CHECK(parse({}).settings.code_attributes == trail::CodeAttributes::basename);
  CHECK(parse({{"TRAIL_CODE_ATTRIBUTES", "off"}}).settings.code_attributes == trail::CodeAttributes::off);
  CHECK(parse({{"TRAIL_CODE_ATTRIBUTES", "FULL"}}).settings.code_attributes == trail::CodeAttributes::full);
  const auto rel = parse({{"TRAIL_CODE_ATTRIBUTES", "relative"}, {"TRAIL_SOURCE_ROOT", "/src/game"}});
  CHECK(rel.errors.empty());
  CHECK(rel.settings.code_attributes == trail::CodeAttributes::relative);
  CHECK(rel.settings.source_root == "/src/game");
  const auto junk = parse({{"TRAIL_CODE_ATTRIBUTES", "short"}});
  check_one_error(junk, "TRAIL_CODE_ATTRIBUTES", "short");
  CHECK(junk.settings.code_attributes == trail::CodeAttributes::basename);
}

TEST_CASE("messages stay on one line and short whatever the value holds") {
  const std::string evil = "1\n2\r3\"" + std::string(500, 'x');
  const auto p = parse({{"OTEL_BSP_SCHEDULE_DELAY", evil}});
  REQUIRE(p.errors.size() == 1);
  CHECK(p.errors[0].find('\n') == std::string::npos);
  CHECK(p.errors[0].find('\r') == std::string::npos);
  CHECK(p.errors[0].size() < 300);
  CHECK(contains(p.errors[0], "\"1\\x0a2\\x0d3\\x22xxx"));
}

TEST_CASE("a lookup that throws does not escape: defaults and one message") {
  const trail::detail::EnvLookup throwing = [](const char*) -> const char* { throw std::runtime_error("boom"); };
  trail::detail::ErrorSink errors;
  Settings s;
  CHECK_NOTHROW(s = trail::detail::settings_from_env(throwing, errors));
  CHECK(errors.size() == 1);
  CHECK(s.bsp_max_queue_size == 2048);
  CHECK(s.traces_endpoint == "http://localhost:4318/v1/traces");

  trail::detail::ErrorSink none;
  CHECK_NOTHROW(s = trail::detail::settings_from_env(trail::detail::EnvLookup{}, none));  // empty lookup: unset
  CHECK(none.empty());
}

TEST_CASE("the real process environment is read by the convenience overload") {
  // A variable nothing else reads; its previous state is restored.
  const char* before = std::getenv("TRAIL_RING_CAPACITY");
  const std::string saved = before ? before : "";
  trail::test::set_env("TRAIL_RING_CAPACITY", "256");
  const Settings s = trail::detail::settings_from_env();
  if (before) trail::test::set_env("TRAIL_RING_CAPACITY", saved.c_str());
  else trail::test::unset_env("TRAIL_RING_CAPACITY");
  CHECK(s.ring_capacity == 256);
}

TEST_CASE("the sampler ratio parser: unsigned decimals, the grammar of from_chars, no locale") {
  using trail::detail::envvar::parse_unsigned_decimal;
  const std::pair<const char*, double> good[] = {
      {"0", 0.0},     {"1", 1.0},        {"0.25", 0.25}, {".5", 0.5},       {"5.", 5.0},          {"1e-1", 0.1},
      {"25E-2", 0.25}, {"1e+0", 1.0},    {"0.1", 0.1},   {"0.000001", 1e-6}, {"000.5000", 0.5},   {"0e5", 0.0},
      {"123456789012345678901234e-24", 0.123456789012345678901234}};
  for (const auto& entry : good) {
    double got = -1;
    CAPTURE(entry.first);
    REQUIRE(parse_unsigned_decimal(entry.first, got));
    CHECK(got == doctest::Approx(entry.second).epsilon(1e-15));
  }
  // Exactly the double nearest to the decimal, for the common short forms.
  double v = 0;
  REQUIRE(parse_unsigned_decimal("0.1", v));
  CHECK(v == 0.1);
  REQUIRE(parse_unsigned_decimal("0.3", v));
  CHECK(v == 0.3);
  REQUIRE(parse_unsigned_decimal("0.001", v));
  CHECK(v == 0.001);
  for (const char* bad : {"", ".", "e1", "1e", "1e+", "+1", "-1", "0x1", "1..2", "1.2.3", " 1", "1 ", "inf", "nan",
                          "1,5", "1e1.5"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_unsigned_decimal(bad, v));
  }
}

TEST_CASE("link limits, GenAI content capture, content length and the semconv opt-in") {
  const Parsed defaults = parse({});
  CHECK(defaults.settings.span_link_count_limit == 128);
  CHECK(defaults.settings.link_attribute_count_limit == 128);
  CHECK_FALSE(defaults.settings.genai_capture_content);
  CHECK(defaults.settings.genai_content_max_length == 16384);
  CHECK_FALSE(defaults.settings.genai_emit_old_names);

  const Parsed set = parse({{"OTEL_SPAN_LINK_COUNT_LIMIT", "3"},
                            {"OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", "4"},
                            {"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "TRUE"},
                            {"TRAIL_GENAI_CONTENT_MAX_LENGTH", "100"},
                            {"OTEL_SEMCONV_STABILITY_OPT_IN", "http, gen_ai/dup"}});
  CHECK(set.errors.empty());
  CHECK(set.settings.span_link_count_limit == 3);
  CHECK(set.settings.link_attribute_count_limit == 4);
  CHECK(set.settings.genai_capture_content);
  CHECK(set.settings.genai_content_max_length == 100);
  CHECK(set.settings.genai_emit_old_names);

  CHECK(parse({{"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "span_and_event"}}).settings.genai_capture_content);
  CHECK_FALSE(parse({{"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "no_content"}}).settings.genai_capture_content);
  CHECK_FALSE(parse({{"OTEL_SEMCONV_STABILITY_OPT_IN", "gen_ai_latest_experimental"}}).settings.genai_emit_old_names);
  // The conventions' value wins over trail's own, in either order.
  CHECK_FALSE(parse({{"OTEL_SEMCONV_STABILITY_OPT_IN", "gen_ai/dup,gen_ai_latest_experimental"}})
                  .settings.genai_emit_old_names);
  CHECK_FALSE(parse({{"OTEL_SEMCONV_STABILITY_OPT_IN", " GEN_AI_LATEST_EXPERIMENTAL , gen_ai/dup"}})
                  .settings.genai_emit_old_names);
  CHECK(parse({{"OTEL_ATTRIBUTE_COUNT_LIMIT", "7"}}).settings.link_attribute_count_limit == 7);
  const Parsed bad = parse({{"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "yes please"}});
  check_one_error(bad, "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "yes please");
  CHECK_FALSE(bad.settings.genai_capture_content);
}
