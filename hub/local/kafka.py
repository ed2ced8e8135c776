"""A real Apache Kafka broker (KRaft, single node) fetched from Maven Central and run locally.

``fetch`` resolves ``org.apache.kafka:kafka_2.13`` and its runtime dependencies with ``mvn`` into
``<cache dir>/kafka/<version>/libs``; ``start`` formats the storage once, starts the broker detached and
waits until it answers metadata requests; ``stop`` shuts it down cleanly (SIGTERM, controlled shutdown).
"""

from __future__ import annotations

import base64
import shutil
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from confluent_kafka.admin import AdminClient

from hub.errors import LauncherError
from hub.local.process import Proc
from hub.settings import HubSettings, KafkaSettings

POM = Path(__file__).with_name("kafka-pom.xml")

_LOG4J = """\
status = warn
appender.file.type = RollingFile
appender.file.name = file
appender.file.fileName = {log_dir}/kafka-server.log
appender.file.filePattern = {log_dir}/kafka-server.log.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 20MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
logger.request.name = kafka.request.logger
logger.request.level = warn
"""


@dataclass(frozen=True)
class LocalKafka:
    """The hub's local broker: where its jars, data and pid live."""

    kafka: KafkaSettings
    hub: HubSettings

    @property
    def home(self) -> Path:
        return self.hub.cache_dir.expanduser().resolve() / "kafka" / self.kafka.version

    @property
    def libs(self) -> Path:
        return self.home / "libs"

    @property
    def data_dir(self) -> Path:
        return self.hub.data_dir.resolve() / "kafka"

    @property
    def proc(self) -> Proc:
        return Proc("kafka", self.hub.run_dir, self.hub.log_dir)

    # -- fetch ---------------------------------------------------------------------------------
    def is_fetched(self) -> bool:
        return (self.libs / f"kafka_2.13-{self.kafka.version}.jar").is_file()

    def fetch(self) -> Path:
        """Download the broker's jars once; later calls return the cached folder."""
        if self.is_fetched():
            return self.libs
        mvn = _require("mvn", "Apache Maven is required to fetch Kafka from Maven Central")
        self.home.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.home) as tmp:
            out = Path(tmp) / "libs"
            cmd = [mvn, "-q", "-B", "-f", str(POM), "dependency:copy-dependencies",
                   f"-DoutputDirectory={out}", f"-Dkafka.version={self.kafka.version}"]
            done = subprocess.run(cmd, capture_output=True, text=True)
            if done.returncode != 0:
                raise LauncherError(f"mvn could not fetch Kafka {self.kafka.version}:\n{done.stdout}{done.stderr}")
            shutil.rmtree(self.libs, ignore_errors=True)
            out.rename(self.libs)
        return self.libs

    # -- start / stop --------------------------------------------------------------------------
    def server_properties(self) -> str:
        k = self.kafka
        return "\n".join([
            "process.roles=broker,controller",
            "node.id=1",
            f"controller.quorum.voters=1@{k.host}:{k.controller_port}",
            f"listeners=PLAINTEXT://{k.host}:{k.port},CONTROLLER://{k.host}:{k.controller_port}",
            f"advertised.listeners=PLAINTEXT://{k.host}:{k.port}",
            "controller.listener.names=CONTROLLER",
            "inter.broker.listener.name=PLAINTEXT",
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            f"log.dirs={self.data_dir / 'log'}",
            f"num.partitions={k.partitions}",
            "offsets.topic.replication.factor=1",
            "offsets.topic.num.partitions=10",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "share.coordinator.state.topic.replication.factor=1",
            "share.coordinator.state.topic.min.isr=1",
            "group.initial.rebalance.delay.ms=0",
            "auto.create.topics.enable=true",
            "",
        ])

    def _java(self, main: str, *args: str) -> list[str]:
        java = _require("java", "Java 17+ is required to run the Kafka broker")
        return [java, f"-Xmx{self.kafka.heap}", "-Xms128m", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
                "-Djava.awt.headless=true", f"-Dlog4j2.configurationFile={self.data_dir / 'log4j2.properties'}",
                "-cp", f"{self.libs}/*", main, *args]

    def _prepare(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.hub.log_dir.mkdir(parents=True, exist_ok=True)
        props = self.data_dir / "server.properties"
        props.write_text(self.server_properties())
        (self.data_dir / "log4j2.properties").write_text(_LOG4J.format(log_dir=self.hub.log_dir))
        if not (self.data_dir / "log" / "meta.properties").exists():
            cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
            done = subprocess.run(self._java("kafka.tools.StorageTool", "format", f"--cluster-id={cluster_id}", f"--config={props}"),
                                  capture_output=True, text=True)
            if done.returncode != 0:
                raise LauncherError(f"formatting Kafka storage failed:\n{done.stdout}{done.stderr}")
        return props

    def start(self, timeout_s: float = 90.0) -> str:
        """Start the broker (fetching it first if needed) and return its bootstrap address."""
        if self.proc.pid() is not None:
            self.wait_ready(timeout_s)
            return self.kafka.bootstrap_servers
        self.fetch()
        props = self._prepare()
        self.proc.start(self._java("kafka.Kafka", str(props)))
        self.wait_ready(timeout_s)
        return self.kafka.bootstrap_servers

    def wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.exited():
                raise LauncherError(f"Kafka exited during start-up; last log lines:\n{self.proc.log_tail()}\n"
                                    f"(full log: {self.proc.log_file}, {self.hub.log_dir / 'kafka-server.log'})")
            if broker_answers(self.kafka.bootstrap_servers, timeout_s=2.0):
                return
            time.sleep(0.3)
        raise LauncherError(f"Kafka did not answer metadata requests on {self.kafka.bootstrap_servers} "
                            f"within {timeout_s:.0f}s; see {self.proc.log_file}")

    def stop(self) -> bool:
        return self.proc.stop(timeout_s=60.0)

    def status(self) -> dict[str, object]:
        pid = self.proc.pid()
        return {"pid": pid, "bootstrap": self.kafka.bootstrap_servers,
                "answers": pid is not None and broker_answers(self.kafka.bootstrap_servers, 2.0),
                "version": self.kafka.version, "data_dir": str(self.data_dir)}


def broker_answers(bootstrap: str, timeout_s: float = 5.0) -> bool:
    """Whether a broker at ``bootstrap`` answers a metadata request."""
    admin = AdminClient({"bootstrap.servers": bootstrap, "socket.connection.setup.timeout.ms": 2000,
                         "log_level": 0})
    try:
        return len(admin.list_topics(timeout=timeout_s).brokers) > 0
    except Exception:
        return False


def _require(tool: str, why: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise LauncherError(f"{why}: '{tool}' is not on PATH")
    return path
