"""PayFiP, as the tests see it: the DGFiP's SOAP web service answered in-process.

eopayment's zeep client posts SOAP envelopes to https://www.payfip.gouv.fr/tpa/services/securite;
`FakePayFiP.install` puts this fake at requests' HTTP adapter (`HTTPAdapter.send`, the last
step before the network) for that host only. Nothing of eopayment or of ours is mocked: the
envelopes are parsed and answered as the protocol's documentation (and eopayment's recorded
exchanges) show them — `creerPaiementSecurise` gives an idOp; `recupererDetailPaiementSecurise`
gives the operation's detail once the parent has acted (resultrans P paid by card, V paid by
single debit, R refused, A abandoned), the fault P5 before, P1 for an idOp PayFiP never gave.
"""

import io
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPResponse

HOST = "www.payfip.gouv.fr"
SERVICE_URL = "https://www.payfip.gouv.fr/tpa/services/securite"
NUMCLI = "090909"
NS = ("http://securite.service.tpa.cp.finances.gouv.fr/services/mas_securite/"
      "contrat_paiement_securise/PaiementSecuriseService")
PARIS = ZoneInfo("Europe/Paris")

ANSWER = """<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/">
  <S:Body>
    <ns2:{operation}Response xmlns:ns2="{ns}">
      <return>{fields}</return>
    </ns2:{operation}Response>
  </S:Body>
</S:Envelope>
"""
FAULT = """<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/">
  <S:Body>
    <S:Fault xmlns:ns4="http://www.w3.org/2003/05/soap-envelope">
      <faultcode>S:Server</faultcode>
      <faultstring>fr.gouv.finances.cp.tpa.webservice.exceptions.FonctionnelleErreur</faultstring>
      <detail>
        <ns2:FonctionnelleErreur xmlns:ns2="{ns}">
          <code>{code}</code><descriptif/><libelle>{label}</libelle><severite>2</severite>
        </ns2:FonctionnelleErreur>
      </detail>
    </S:Fault>
  </S:Body>
</S:Envelope>
"""


@dataclass
class Operation:
    """One idOp at PayFiP: what the portal asked, and what the parent did."""

    numcli: str
    exer: str
    refdet: str
    montant: str
    mel: str
    saisie: str
    urlnotif: str
    urlredirect: str
    objet: str = ""
    resultrans: str = ""  # empty until the parent acts on PayFiP's page
    paid_montant: str = ""  # what PayFiP reports collected (the asked amount unless set)
    at: datetime = field(default_factory=lambda: datetime.now(PARIS))


class FakePayFiP:
    def __init__(self):
        self.operations: dict[str, Operation] = {}
        self.calls: list[str] = []  # the SOAP operations asked, in order
        self.unreachable = False

    # --- what the parent does on PayFiP's page ------------------------------------------
    def act(self, idop: str, resultrans: str, *, montant: int | None = None,
            minutes_ago: int = 5) -> None:
        """The parent paid (P, or V by single debit), was refused (R) or abandoned (A),
        `minutes_ago` (eopayment reads an abandonment of less than 2 minutes as waiting)."""
        operation = self.operations[idop]
        operation.resultrans = resultrans
        operation.paid_montant = str(montant) if montant is not None else operation.montant
        operation.at = datetime.now(PARIS) - timedelta(minutes=minutes_ago)

    @property
    def last(self) -> tuple[str, Operation]:
        return list(self.operations.items())[-1]

    # --- the web service ------------------------------------------------------------------
    def answer(self, body: bytes) -> tuple[int, str]:
        envelope = ET.fromstring(body)  # noqa: S314 (what our own process sent)
        [operation] = envelope.find("{http://schemas.xmlsoap.org/soap/envelope/}Body")
        name = operation.tag.rsplit("}", 1)[-1]
        self.calls.append(name)
        args = {child.tag: child.text or "" for child in operation.find("arg0")}
        if name == "creerPaiementSecurise":
            return self._create(args)
        if name == "recupererDetailPaiementSecurise":
            return self._detail(args.get("idOp", ""))
        return 500, FAULT.format(ns=NS, code="inconnu", label="Opération inconnue")

    def _create(self, args) -> tuple[int, str]:
        if args.get("numcli") != NUMCLI:
            return 500, FAULT.format(ns=NS, code="A2", label="Client inconnu")
        idop = str(uuid.uuid1())
        self.operations[idop] = Operation(**{key: args.get(key, "") for key in (
            "numcli", "exer", "refdet", "montant", "mel", "saisie", "urlnotif", "urlredirect",
            "objet")})
        return 200, ANSWER.format(operation="creerPaiementSecurise", ns=NS,
                                  fields=f"<idOp>{idop}</idOp>")

    def _detail(self, idop: str) -> tuple[int, str]:
        operation = self.operations.get(idop)
        if operation is None:
            return 500, FAULT.format(ns=NS, code="P1", label="IdOp incorrect.")
        if not operation.resultrans:
            return 500, FAULT.format(ns=NS, code="P5",
                                     label="R&#233;sultat de la transaction non connu.")
        numauto = "112233445566-tip" if operation.resultrans in ("P", "V") else ""
        fields = (f"<dattrans>{operation.at:%d%m%Y}</dattrans><exer>{operation.exer}</exer>"
                  f"<heurtrans>{operation.at:%H%M}</heurtrans><idOp>{idop}</idOp>"
                  f"<mel>{operation.mel}</mel><montant>{operation.paid_montant}</montant>"
                  + (f"<numauto>{numauto}</numauto>" if numauto else "")
                  + f"<numcli>{operation.numcli}</numcli><refdet>{operation.refdet}</refdet>"
                  f"<resultrans>{operation.resultrans}</resultrans>"
                  f"<saisie>{operation.saisie}</saisie>")
        return 200, ANSWER.format(operation="recupererDetailPaiementSecurise", ns=NS,
                                  fields=fields)

    # --- at requests' HTTP adapter --------------------------------------------------------
    def install(self, monkeypatch) -> "FakePayFiP":
        real_send = HTTPAdapter.send
        fake = self

        def send(adapter, request, *args, **kwargs):
            if urlsplit(request.url).hostname != HOST:
                return real_send(adapter, request, *args, **kwargs)
            if fake.unreachable:
                raise requests.ConnectionError(f"Failed to establish a connection to {HOST}")
            status, xml = fake.answer(request.body)
            raw = HTTPResponse(body=io.BytesIO(xml.encode()), status=status,
                               headers={"Content-Type": "text/xml;charset=utf-8"},
                               preload_content=False)
            return adapter.build_response(request, raw)

        monkeypatch.setattr(HTTPAdapter, "send", send)
        return self
