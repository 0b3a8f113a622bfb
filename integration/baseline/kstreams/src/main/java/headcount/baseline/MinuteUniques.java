package headcount.baseline;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Kafka Streams baseline for headcount's exact per-minute unique users.
 *
 * <p>Frames are re-keyed by (minute, uid) and counted into a changelogged KTable; that table is then
 * re-grouped by minute and counted, so each minute's count is the number of distinct (minute, uid)
 * keys. This is the DSL's correct "dedup then count": a KTable re-group subtracts the old row and
 * adds the new one, so a repeated uid never counts twice. A HashSet aggregate would re-serialize
 * the whole set on every frame (quadratic in the uniques per minute).
 *
 * <p>Usage: MinuteUniques APP_ID INPUT [OUTPUT [BROKERS [THREADS]]]
 */
public final class MinuteUniques {
  private static final ObjectMapper MAPPER =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  private static final String COUNTS_STORE = "minute-uniques";

  private MinuteUniques() {}

  /** Returns "minute|uid" for a valid frame, or null for one headcount would reject. */
  static String minuteUidKey(byte[] value) {
    if (value == null) {
      return null;
    }
    JsonNode root;
    try {
      root = MAPPER.readTree(value);
    } catch (Exception e) {
      return null;
    }
    if (root == null || !root.isObject()) {
      return null;
    }
    JsonNode uid = root.get("uid");
    JsonNode ts = root.get("ts");
    if (uid == null || !uid.isTextual() || uid.textValue().isEmpty() || ts == null) {
      return null;
    }
    long t;
    if (ts.isIntegralNumber() && ts.canConvertToLong()) {
      t = ts.longValue();
    } else if (ts.isTextual() && isDigits(ts.textValue())) {
      try {
        t = Long.parseLong(ts.textValue());
      } catch (NumberFormatException e) {
        return null;
      }
    } else {
      return null;
    }
    return (t - Math.floorMod(t, 60L)) + "|" + uid.textValue();
  }

  private static boolean isDigits(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }

  private static String minuteOf(String minuteUid) {
    return minuteUid.substring(0, minuteUid.indexOf('|'));
  }

  public static void main(String[] args) throws Exception {
    if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    }
    if (args.length < 2) {
      System.err.println("usage: MinuteUniques APP_ID INPUT [OUTPUT [BROKERS [THREADS]]]");
      System.exit(2);
    }
    String appId = args[0];
    String input = args[1];
    String output = args.length > 2 ? args[2] : appId + "-out";
    String brokers = args.length > 3 ? args[3] : "127.0.0.1:9092";
    int threads = args.length > 4 ? Integer.parseInt(args[4]) : 1;

    Properties ap = new Properties();
    ap.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
    try (Admin admin = Admin.create(ap)) {
      Map<TopicPartition, Long> end = endOffsets(admin, input);
      long frames = end.values().stream().mapToLong(Long::longValue).sum()
          - beginOffsets(admin, end.keySet()).values().stream().mapToLong(Long::longValue).sum();
      try {
        admin.createTopics(List.of(new NewTopic(output, end.size(), (short) 1))).all().get();
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw e;
        }
      }

      StreamsBuilder b = new StreamsBuilder();
      b.stream(input, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
          .flatMap((k, v) -> {
            String key = minuteUidKey(v);
            return key == null ? List.<KeyValue<String, String>>of() : List.of(KeyValue.pair(key, ""));
          })
          .groupByKey(Grouped.with("minute-uid", Serdes.String(), Serdes.String()))
          .count(Materialized.<String, Long, KeyValueStore<Bytes, byte[]>>as("minute-uid-seen"))
          .groupBy((k, v) -> KeyValue.pair(minuteOf(k), k),
              Grouped.with("minute", Serdes.String(), Serdes.String()))
          .count(Materialized.<String, Long, KeyValueStore<Bytes, byte[]>>as(COUNTS_STORE))
          .toStream()
          .to(output, Produced.with(Serdes.String(), Serdes.Long()));

      Properties p = new Properties();
      p.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
      p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
      p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
      p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 200);
      p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, threads);
      p.put(StreamsConfig.STATE_DIR_CONFIG, "/tmp/kstreams-baseline/" + appId);
      p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);

      KafkaStreams streams = new KafkaStreams(b.build(), p);
      long start = System.nanoTime();
      streams.start();
      while (!drained(admin, appId, end)) {
        if (streams.state() == KafkaStreams.State.ERROR
            || streams.state() == KafkaStreams.State.NOT_RUNNING) {
          System.err.println("streams stopped: " + streams.state());
          System.exit(1);
        }
        Thread.sleep(50);
      }
      double secs = (System.nanoTime() - start) / 1e9;
      System.out.printf("frames=%d elapsed=%.3fs rate=%.0f frames/s%n", frames, secs, frames / secs);
      System.out.flush();

      // Dump the committed per-minute counts to stderr for checking against `headcount count`.
      ReadOnlyKeyValueStore<String, Long> store = streams.store(
          StoreQueryParameters.fromNameAndType(COUNTS_STORE, QueryableStoreTypes.keyValueStore()));
      List<String> lines = new ArrayList<>();
      try (KeyValueIterator<String, Long> it = store.all()) {
        it.forEachRemaining(kv -> lines.add("minute " + kv.key + " " + kv.value));
      }
      lines.sort(null);
      lines.forEach(System.err::println);
      streams.close();
    }
  }

  private static Map<TopicPartition, Long> endOffsets(Admin admin, String topic) throws Exception {
    int n = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
    Map<TopicPartition, OffsetSpec> req = new HashMap<>();
    for (int i = 0; i < n; i++) {
      req.put(new TopicPartition(topic, i), OffsetSpec.latest());
    }
    return offsets(admin, req);
  }

  private static Map<TopicPartition, Long> beginOffsets(Admin admin, Set<TopicPartition> tps)
      throws Exception {
    return offsets(admin, tps.stream().collect(Collectors.toMap(tp -> tp, tp -> OffsetSpec.earliest())));
  }

  private static Map<TopicPartition, Long> offsets(Admin admin, Map<TopicPartition, OffsetSpec> req)
      throws Exception {
    Map<TopicPartition, ListOffsetsResultInfo> res = admin.listOffsets(req).all().get();
    Map<TopicPartition, Long> out = new HashMap<>();
    res.forEach((tp, info) -> out.put(tp, info.offset()));
    return out;
  }

  /**
   * Reports whether the group's committed offsets reached the input's end offsets taken at start and
   * the current end of both repartition topics. The repartition ends are read before and after the
   * committed offsets and must not move in between, so a transaction committing during the check
   * (which writes to the next topic together with its offsets) cannot be missed.
   */
  private static boolean drained(Admin admin, String group, Map<TopicPartition, Long> inputEnd)
      throws Exception {
    Map<TopicPartition, OffsetAndMetadata> committed =
        admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
    if (!reached(committed, inputEnd)) {
      return false;
    }
    Map<TopicPartition, OffsetSpec> req = new HashMap<>();
    for (String t : List.of(group + "-minute-uid-repartition", group + "-minute-repartition")) {
      int n = admin.describeTopics(List.of(t)).allTopicNames().get().get(t).partitions().size();
      for (int i = 0; i < n; i++) {
        req.put(new TopicPartition(t, i), OffsetSpec.latest());
      }
    }
    Map<TopicPartition, Long> before = offsets(admin, req);
    committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
    return reached(committed, before) && before.equals(offsets(admin, req));
  }

  private static boolean reached(Map<TopicPartition, OffsetAndMetadata> committed,
      Map<TopicPartition, Long> end) {
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      OffsetAndMetadata c = committed.get(e.getKey());
      if ((c == null ? 0 : c.offset()) < e.getValue()) {
        return false;
      }
    }
    return true;
  }
}
