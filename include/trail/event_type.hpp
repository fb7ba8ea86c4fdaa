// Compile-time event types: a span name, a span kind and typed attribute
// keys, declared once. Recording one stores the address of that static
// description and the values; a value of the wrong type does not compile.
//
//   inline constexpr trail::EventType<std::int64_t, double, std::string_view> nav_query{
//       "nav.query", trail::SpanKind::internal, "nav.nodes", "nav.cost", "nav.target"};
//
//   TRAIL_EVENT(q, nav_query, 128, 3.5, target_name);    // scoped span
//   trail::AsyncSpan call(nav_query, 128, 3.5, "home"); // or an async one
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <utility>

#include "record.hpp"
#include "span.hpp"

namespace trail {

namespace detail {

// Which argument types a declared attribute type accepts: no silent
// conversion between strings, booleans, integers and floating point.
template <class Declared, class Arg>
struct accepts : std::false_type {};
template <class Arg>
struct accepts<bool, Arg> : std::is_same<Arg, bool> {};
template <class Arg>
struct accepts<std::int64_t, Arg> : std::bool_constant<std::is_integral_v<Arg> && !std::is_same_v<Arg, bool>> {};
template <class Arg>
struct accepts<double, Arg> : std::bool_constant<std::is_arithmetic_v<Arg> && !std::is_same_v<Arg, bool>> {};
template <class Arg>
struct accepts<std::string_view, Arg> : std::bool_constant<is_string_like<Arg>> {};

template <class T>
constexpr bool is_attribute_type = std::is_same_v<T, bool> || std::is_same_v<T, std::int64_t> ||
                                   std::is_same_v<T, double> || std::is_same_v<T, std::string_view>;

}  // namespace detail

template <class... Types>
class EventType {
  static_assert((detail::is_attribute_type<Types> && ...),
                "trail: event type attributes are bool, std::int64_t, double or std::string_view");

 public:
  static constexpr std::size_t arity = sizeof...(Types);

  template <class... Keys, class = std::enable_if_t<sizeof...(Keys) == arity>>
  constexpr EventType(const char* name, SpanKind kind, Keys... keys) noexcept
      : keys_{keys...}, meta{name, nullptr, nullptr, 0, kind} {}

  const char* key(std::size_t i) const noexcept { return keys_[i]; }

  // Called by Span / AsyncSpan constructors with the values.
  template <class SpanT, class... Values>
  void record(SpanT& span, const Values&... values) const noexcept {
    static_assert(sizeof...(Values) == arity, "trail: wrong number of attribute values for this event type");
    static_assert((detail::accepts<Types, std::decay_t<Values>>::value && ...),
                  "trail: an attribute value does not match the type its event type declares");
    if (span.is_recording()) record_values(span, std::index_sequence_for<Types...>{}, values...);
  }

 private:
  const char* keys_[arity == 0 ? 1 : arity];

 public:
  detail::SpanMeta meta;

 private:
  template <class SpanT, std::size_t... I, class... Values>
  void record_values(SpanT& span, std::index_sequence<I...>, const Values&... values) const noexcept {
    (span.set(keys_[I], static_cast<Types>(values)), ...);
  }
};

}  // namespace trail
