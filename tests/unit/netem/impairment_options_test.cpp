// The impairment model's option names, parsing, validation and describe() round trip.
#include "netem/impair/impairment_options.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "base/errors.hpp"

namespace po = boost::program_options;
using namespace tcplab::netem;

namespace {

po::variables_map parse(std::vector<std::string> args) {
    po::options_description desc;
    add_impairment_options(desc);
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(desc).run(), vm);
    po::notify(vm);
    return vm;
}

Impairment from(std::vector<std::string> args) { return impairment_from(parse(std::move(args))); }

po::variables_map parse_ini(const std::string& text) {
    po::options_description desc;
    add_impairment_options(desc);
    std::istringstream in(text);
    po::variables_map vm;
    po::store(po::parse_config_file(in, desc), vm);
    po::notify(vm);
    return vm;
}

}  // namespace

TEST(ImpairmentOptions, UnprefixedKeysApplyToBothDirections) {
    const auto imp = from({"--loss=10", "--delay=50", "--jitter=5", "--distribution=normal"});
    EXPECT_EQ(imp.client_to_server.loss_percent, 10);
    EXPECT_EQ(imp.server_to_client.loss_percent, 10);
    EXPECT_EQ(imp.client_to_server.delay_ms, 50);
    EXPECT_EQ(imp.server_to_client.jitter_ms, 5);
    EXPECT_EQ(imp.server_to_client.distribution, DelayDistribution::normal);
}

TEST(ImpairmentOptions, PrefixedKeysOverrideOneDirection) {
    const auto imp = from({"--loss=10", "--s2c.loss=0", "--c2s.drop-syn=2", "--seed=42"});
    EXPECT_EQ(imp.client_to_server.loss_percent, 10);
    EXPECT_EQ(imp.server_to_client.loss_percent, 0);
    EXPECT_EQ(imp.client_to_server.schedule.drop_first_syns, 2U);
    EXPECT_EQ(imp.server_to_client.schedule.drop_first_syns, 0U);
    EXPECT_EQ(imp.seed, 42U);
}

TEST(ImpairmentOptions, IniSectionsAreDirections) {
    const auto imp =
        impairment_from(parse_ini("loss=5\n[c2s]\ndelay=20\nreorder=25\nreorder-gap=5\n"
                                  "[s2c]\ndrop-data-segment=3\ndrop-data-segment=7\n"));
    EXPECT_EQ(imp.client_to_server.loss_percent, 5);
    EXPECT_EQ(imp.client_to_server.delay_ms, 20);
    EXPECT_EQ(imp.client_to_server.reorder_percent, 25);
    EXPECT_EQ(imp.client_to_server.reorder_gap, 5U);
    EXPECT_EQ(imp.server_to_client.delay_ms, 0);
    EXPECT_EQ(imp.server_to_client.schedule.drop_data_segments, (std::vector<std::uint32_t>{3, 7}));
}

TEST(ImpairmentOptions, GemodelTakesOneToFourValuesWithDefaults) {
    auto imp = from({"--loss-gemodel=1,10,70,0.1"});
    ASSERT_TRUE(imp.client_to_server.loss_gemodel.has_value());
    EXPECT_EQ(*imp.client_to_server.loss_gemodel, (GilbertElliott{1, 10, 70, 0.1}));
    imp = from({"--loss-gemodel=2"});
    EXPECT_EQ(*imp.server_to_client.loss_gemodel, (GilbertElliott{2, 100, 100, 0}));
    EXPECT_THROW(from({"--loss-gemodel=1,2,3,4,5"}), tcplab::UsageError);
    EXPECT_THROW(from({"--loss-gemodel=1,,3"}), tcplab::UsageError);
}

struct RateCase {
    std::string text;
    std::uint64_t bps;
};
class RateParse : public ::testing::TestWithParam<RateCase> {};
TEST_P(RateParse, MatchesTcUnits) { EXPECT_EQ(parse_rate(GetParam().text), GetParam().bps); }
INSTANTIATE_TEST_SUITE_P(Units, RateParse,
                         ::testing::Values(RateCase{"10mbit", 10000000},
                                           RateCase{"1gbit", 1000000000},
                                           RateCase{"500kbit", 500000}, RateCase{"123456", 123456},
                                           RateCase{"2.5Mbit", 2500000}, RateCase{"1kibit", 1024},
                                           RateCase{"1kbps", 8000}, RateCase{"100bit", 100}));

TEST(ImpairmentOptions, BadValuesNameTheKey) {
    auto message_of = [](std::vector<std::string> args) {
        try {
            from(std::move(args));
        } catch (const tcplab::UsageError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_NE(message_of({"--c2s.loss=abc"}).find("--c2s.loss=abc"), std::string::npos);
    EXPECT_NE(message_of({"--loss=101"}).find("0..100"), std::string::npos);
    EXPECT_NE(message_of({"--rate=fast"}).find("--rate=fast"), std::string::npos);
    EXPECT_NE(message_of({"--s2c.rate=-1mbit"}).find("--s2c.rate"), std::string::npos);
    EXPECT_NE(message_of({"--drop-window=5"}).find("START_MS:END_MS"), std::string::npos);
    EXPECT_NE(message_of({"--drop-window=9:5"}).find("after"), std::string::npos);
    EXPECT_NE(message_of({"--drop-data-segment=0"}).find("from 1"), std::string::npos);
    EXPECT_NE(message_of({"--distribution=gauss"}).find("paretonormal"), std::string::npos);
    EXPECT_NE(message_of({"--seed=x"}).find("--seed=x"), std::string::npos);
}

TEST(ImpairmentOptions, SettingsThatDoNothingAreRejected) {
    auto rejects = [](std::vector<std::string> args, const std::string& needle) {
        try {
            from(std::move(args));
        } catch (const tcplab::UsageError& e) {
            return std::string(e.what()).find(needle) != std::string::npos;
        }
        return false;
    };
    EXPECT_TRUE(rejects({"--reorder=25"}, "--c2s.reorder: does nothing without delay"));
    EXPECT_TRUE(rejects({"--loss-correlation=25"}, "loss-correlation: does nothing without loss"));
    EXPECT_TRUE(rejects({"--delay=10", "--delay-correlation=25"}, "without jitter"));
    EXPECT_TRUE(rejects({"--jitter=5"}, "jitter: does nothing without delay"));
    EXPECT_TRUE(rejects({"--delay=10", "--distribution=pareto"}, "distribution: does nothing"));
    EXPECT_TRUE(rejects({"--delay=10", "--jitter=20"}, "larger than delay"));
    EXPECT_TRUE(rejects({"--delay=10", "--reorder-gap=3"}, "reorder-gap"));
    EXPECT_TRUE(rejects({"--loss=1", "--loss-gemodel=1"}, "cannot be combined"));
    EXPECT_TRUE(rejects({"--limit=100"}, "limit: does nothing"));
    // With a distribution, jitter may exceed delay (netem clamps, the user chose the shape).
    EXPECT_NO_THROW(from({"--delay=10", "--jitter=20", "--distribution=normal"}));
}

TEST(Impairment, IdentityAndScheduleEmptiness) {
    DirectionImpairment d;
    EXPECT_TRUE(d.is_identity());
    EXPECT_TRUE(d.schedule.empty());
    d.schedule.drop_windows.push_back({0, 10});
    EXPECT_FALSE(d.schedule.empty());
    EXPECT_FALSE(d.is_identity());
    DirectionImpairment rate;
    rate.rate_bps = 1000;
    EXPECT_FALSE(rate.is_identity());
    EXPECT_EQ(to_string(Direction::client_to_server), "c2s");
    EXPECT_EQ(to_string(Direction::server_to_client), "s2c");
    EXPECT_TRUE(validate(Impairment{}).empty());
}

TEST(ImpairmentOptions, DescribeRoundTrips) {
    const std::vector<std::vector<std::string>> cases = {
        {"--loss=10", "--loss-correlation=25", "--seed=7"},
        {"--c2s.loss-gemodel=1,10,70,0.1", "--s2c.delay=100", "--s2c.jitter=10",
         "--s2c.distribution=paretonormal", "--s2c.delay-correlation=25"},
        {"--delay=30", "--reorder=25", "--reorder-correlation=50", "--reorder-gap=5",
         "--duplicate=1", "--corrupt=0.5", "--rate=10mbit", "--limit=1000"},
        {"--c2s.drop-data-segment=3", "--c2s.drop-data-segment=9", "--drop-syn=1",
         "--drop-synack=2", "--drop-fin=1", "--drop-pure-ack=3", "--s2c.drop-window=100:250.5"},
        {},
    };
    for (const auto& args : cases) {
        const auto original = from(args);
        std::vector<std::string> flags;
        for (const auto& line : describe(original)) flags.push_back("--" + line);
        const auto again = from(flags);
        EXPECT_EQ(again.client_to_server, original.client_to_server)
            << ::testing::PrintToString(flags);
        EXPECT_EQ(again.server_to_client, original.server_to_client)
            << ::testing::PrintToString(flags);
        EXPECT_EQ(again.seed, original.seed);
    }
    EXPECT_EQ(describe(from({"--loss=10"})), (std::vector<std::string>{"loss=10", "seed=1"}));
    EXPECT_EQ(describe(from({"--c2s.rate=10mbit"})),
              (std::vector<std::string>{"c2s.rate=10mbit", "seed=1"}));
}

// A bad value keeps its parts, so a scenario file can re-word it with its line
// (scenario/spec.cpp); as a flag it reads as typed.
TEST(ImpairmentOptions, BadValueNamesTheFlagAndKeepsItsParts) {
    try {
        from({"--c2s.loss=150"});
        FAIL() << "no error for loss 150";
    } catch (const BadValue& e) {
        EXPECT_STREQ(e.what(), "--c2s.loss=150: must be a percentage in 0..100");
        EXPECT_EQ(e.key(), "c2s.loss");
        EXPECT_EQ(e.value(), "150");
        EXPECT_EQ(e.reason(), "must be a percentage in 0..100");
    }
    try {
        from({"--rate=fast"});
        FAIL() << "no error for rate fast";
    } catch (const BadValue& e) {
        EXPECT_STREQ(e.what(), "--rate=fast: not a number");
    }
}

TEST(ImpairmentOptions, KeysListEveryRegisteredKeyWithValuesAndMeaning) {
    po::options_description desc;
    add_impairment_options(desc);
    const auto keys = impairment_keys();
    ASSERT_FALSE(keys.empty());
    for (const auto& key : keys) {
        EXPECT_NE(desc.find_nothrow(key.name, false), nullptr) << key.name;
        EXPECT_TRUE(key.name == "seed" || desc.find_nothrow("c2s." + key.name, false) != nullptr)
            << key.name;
        EXPECT_FALSE(key.values.empty()) << key.name;
        EXPECT_FALSE(key.meaning.empty()) << key.name;
    }
    // Every registered option is listed: the three spellings of each key, and seed.
    EXPECT_EQ(desc.options().size(), 3 * (keys.size() - 1) + 1);
}
