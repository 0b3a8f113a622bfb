package headcount.baseline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichFlatMapFunction;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Flink 1.20 baseline of headcount's minute job: exact distinct users per minute, exactly once
 * (checkpoints every 200 ms, transactional Kafka sink, read_committed source). Same shape as the
 * Kafka Streams and Faust baselines: parse with Jackson, key by minute|uid and keep the pairs seen
 * in keyed state, then key each new pair by minute and count it.
 *
 * <p>Usage: FlinkMinuteUniques INPUT OUTPUT [BROKERS [PARALLELISM]]. The source is bounded at the
 * input's end offsets at start, so the job ends once everything is read and the final checkpoint
 * (and its transaction) is committed; it prints frames=... elapsed=...s rate=... frames/s, with
 * elapsed from execute() (JVM start excluded). The output topic holds minute -> running count.
 */
public final class FlinkMinuteUniques {
  public static void main(String[] args) throws Exception {
    String input = args[0];
    String output = args[1];
    String brokers = args.length > 2 ? args[2] : "127.0.0.1:9092";
    int parallelism = args.length > 3 ? Integer.parseInt(args[3]) : 2;

    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(parallelism);
    env.enableCheckpointing(200, CheckpointingMode.EXACTLY_ONCE);
    env.getCheckpointConfig().setCheckpointStorage("file:///tmp/flink-checkpoints/" + output);

    KafkaSource<byte[]> source =
        KafkaSource.<byte[]>builder()
            .setBootstrapServers(brokers)
            .setTopics(input)
            .setGroupId("flink-" + output)
            .setStartingOffsets(OffsetsInitializer.earliest())
            .setBounded(OffsetsInitializer.latest())
            .setProperty("isolation.level", "read_committed")
            .setDeserializer(KafkaRecordDeserializationSchema.valueOnly(ByteArrayDeserializer.class))
            .build();

    Properties producer = new Properties();
    producer.setProperty("transaction.timeout.ms", "60000");
    KafkaSink<Tuple2<Long, Long>> sink =
        KafkaSink.<Tuple2<Long, Long>>builder()
            .setBootstrapServers(brokers)
            .setKafkaProducerConfig(producer)
            .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
            .setTransactionalIdPrefix("flink-" + output)
            .setRecordSerializer(
                KafkaRecordSerializationSchema.<Tuple2<Long, Long>>builder()
                    .setTopic(output)
                    .setKeySerializationSchema(t -> Long.toString(t.f0).getBytes(StandardCharsets.UTF_8))
                    .setValueSerializationSchema(t -> Long.toString(t.f1).getBytes(StandardCharsets.UTF_8))
                    .build())
            .build();

    env.fromSource(source, WatermarkStrategy.noWatermarks(), "frames")
        .flatMap(new Parse())
        .keyBy(t -> t.f0 + "|" + t.f1)
        .process(new FirstSeen())
        .keyBy(minute -> minute)
        .process(new Count())
        .sinkTo(sink);

    long start = System.nanoTime();
    env.execute("minute-uniques-" + output);
    double elapsed = (System.nanoTime() - start) / 1e9;
    long frames = Long.parseLong(System.getProperty("frames", "300000"));
    System.out.printf("frames=%d elapsed=%.3fs rate=%.0f frames/s%n", frames, elapsed, frames / elapsed);
  }

  /** Parse keeps frames with a non-empty string uid and an integer or digit-string ts. */
  static final class Parse extends RichFlatMapFunction<byte[], Tuple2<Long, String>> {
    private transient ObjectMapper json;

    @Override
    public void open(OpenContext ctx) {
      json = new ObjectMapper();
    }

    @Override
    public void flatMap(byte[] raw, Collector<Tuple2<Long, String>> out) {
      JsonNode obj;
      try {
        obj = json.readTree(raw);
      } catch (Exception e) {
        return;
      }
      if (obj == null || !obj.isObject()) return;
      JsonNode uid = obj.get("uid"), ts = obj.get("ts");
      if (uid == null || !uid.isTextual() || uid.asText().isEmpty() || ts == null) return;
      long t;
      if (ts.isIntegralNumber()) {
        t = ts.asLong();
      } else if (ts.isTextual() && !ts.asText().isEmpty() && ts.asText().chars().allMatch(Character::isDigit)) {
        t = Long.parseLong(ts.asText());
      } else {
        return;
      }
      if (t < 0) return;
      out.collect(Tuple2.of(t - t % 60, uid.asText()));
    }
  }

  /** FirstSeen passes on the minute of each minute|uid pair the first time it appears. */
  static final class FirstSeen extends KeyedProcessFunction<String, Tuple2<Long, String>, Long> {
    private transient ValueState<Boolean> seen;

    @Override
    public void open(OpenContext ctx) {
      seen = getRuntimeContext().getState(new ValueStateDescriptor<>("seen", Types.BOOLEAN));
    }

    @Override
    public void processElement(Tuple2<Long, String> pair, Context ctx, Collector<Long> out) throws Exception {
      if (seen.value() == null) {
        seen.update(true);
        out.collect(pair.f0);
      }
    }
  }

  /** Count counts the new pairs of each minute and emits the running count. */
  static final class Count extends KeyedProcessFunction<Long, Long, Tuple2<Long, Long>> {
    private transient ValueState<Long> count;

    @Override
    public void open(OpenContext ctx) {
      count = getRuntimeContext().getState(new ValueStateDescriptor<>("count", Types.LONG));
    }

    @Override
    public void processElement(Long minute, Context ctx, Collector<Tuple2<Long, Long>> out) throws Exception {
      long n = count.value() == null ? 1 : count.value() + 1;
      count.update(n);
      out.collect(Tuple2.of(minute, n));
    }
  }
}
