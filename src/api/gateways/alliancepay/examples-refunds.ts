/**
 * Examples of REFUND and the getting-data calls for the AlliancePay document: the requests as AlliancePay's pages give
 * them (REFUND: its Ukrainian H2H page; by OPERATION_ID and by merchantRequestId: the ids of their tables), the
 * answers as tokenvault gives them. JWEs made once to a throwaway key nobody holds (as in examples.ts).
 */
export const refundRequest = {
  merchantRequestId: '137d9304-0368-11ed-b939-0242ac120002',
  operationId: '137d9304-0368-11ed-b939-0242ac120002',
  merchantId: '137d9304-0368-11ed-b939-0242ac120002',
  coinAmount: '2500',
  notificationUrl: '',
  date: '2022-11-11 11:58:41.56+00:00',
};

export const refundAnswer = {
  type: 'REFUND',
  rrn: '410213187861',
  purpose: null,
  comment: null,
  coinAmount: 2500,
  merchantId: '137d9304-0368-11ed-b939-0242ac120002',
  operationId: 'pev_01JMGK4F3N8Q2W6X9Y7Z5A1B3C',
  ecomOperationId: 'pev_01JMGK4F3N8Q2W6X9Y7Z5A1B3C',
  merchantName: null,
  approvalCode: '482913',
  status: 'SUCCESS',
  transactionType: 76,
  merchantRequestId: '137d9304-0368-11ed-b939-0242ac120002',
  transactionCurrency: '980',
  merchantCommission: null,
  createDateTime: '2025-02-21 09:15:12.4410 +0000',
  creationDateTime: '2025-02-21 09:15:12.4410 +0000',
  modificationDateTime: '2025-02-21 09:15:12.4410 +0000',
  transactionResponseInfo: {
    actionCode: '0',
    responseCode: '00',
    description: 'approved',
  },
  productType: 'PURCHASE',
  paymentServiceType: 'CARD',
  creatorSystem: 'H2H',
  notificationUrl: null,
  notificationEncryption: false,
  cardNumberMask: '555555••••••4444',
  originalOperationId: '6b7c8d9e-0f1a-4b2c-9d3e-4f5a6b7c8d9e',
  originalCoinAmount: 10000,
  originalEcomOperationId: '6b7c8d9e-0f1a-4b2c-9d3e-4f5a6b7c8d9e',
  rrnOriginal: '107254081793',
};

export const operationRequest = {
  id: '16849296265235MUp5dm2pxD',
};

export const byReferenceRequest = {
  merchantRequestId: '72837906-f526-4aef-8d11-58d80b44cb75',
};

export const operationAnswer = {
  type: 'PURCHASE',
  status: 'SUCCESS',
  operationId: '6b7c8d9e-0f1a-4b2c-9d3e-4f5a6b7c8d9e',
  ecomOperationId: '6b7c8d9e-0f1a-4b2c-9d3e-4f5a6b7c8d9e',
  merchantRequestId: '9b8a7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d',
  merchantId: '137d9304-0368-11ed-b939-0242ac120002',
  coinAmount: 10000,
  rrn: '107254081793',
  approvalCode: '482913',
  transactionType: 35,
  transactionCurrency: '980',
  actionCode: '000',
  responseCode: '00',
  createDateTime: '2025-02-20 16:42:06.1840 +0000',
  modificationDateTime: '2025-02-20 16:42:06.9120 +0000',
  purpose: null,
  comment: null,
  merchantName: null,
  merchantCommission: null,
  creationDateTime: '2025-02-20 16:42:06.1840 +0000',
  transactionResponseInfo: {
    actionCode: '000',
    responseCode: '00',
    description: 'approved',
  },
  productType: 'PURCHASE',
  paymentServiceType: 'CARD',
  creatorSystem: 'H2H',
  cardNumberMask: '555555••••••4444',
  notificationUrl: 'https://shop.example.com/alliancepay/notify',
  notificationEncryption: false,
};

export const refundRequestJwe =
  'eyJhbGciOiJFQ0RILUVTK0EyNTZLVyIsImVuYyI6IkEyNTZHQ00iLCJlcGsiOnsieCI6ImdtT0t2ZXBnMTUyQXdKX3cyZm5zbmxyQVZmZGhMVTlwVEx1YnU2anZaazNVd0tlNFVoN28xbHZyem51ZHVTM1MiLCJjcnYiOiJQLTM4NCIsImt0eSI6IkVDIiwieSI6ImxEaFZyczNxS1FOVzZ5YTJIM01RcVJBOUJQeG9obkxfNjl3dEpsS0dTdEc2S1MtVEp3Ui13UDNLVWVmcG1nSlYifX0.jGo05wog1UXvloRjXsVOxYt8WGPG2pCK7jdiaYorx8WY2spWKlAujg.Xs3TwTGboOraHURH.y31b7Bqt6k6KS4K-8MQn0Wk3qmwdxn7LwfqqKzAX_67lY0Kw9edLqcEAJ8bHO8O5vC5tF8GtY--pdRAgO9jqVnCu72TtFsSgcThnlVc6oFjfoMLwmyIBcolqxxTFOJItnyBUE3-4ZODvximrkw7Yd1acjiMY6VgujSLEI-TCVULUmQ2iinz7ZR1f-fFN2FmnP26iuNmObbkyzwd0jR3gqdAqzuC5MdzFjaUvdUvXeSnVBKtYMFIjxVx59A-lRaNp9pb4vFQoO3pQyW7wq-ToqRtFHIsTrMubl36z6ULOdtMrm85oiOKxshHDgqT2oFGO5Gkscw.SrPyGEc7jXldtZd4hVM-ng';

export const refundAnswerJwe =
  'eyJhbGciOiJFQ0RILUVTK0EyNTZLVyIsImVuYyI6IkEyNTZHQ00iLCJlcGsiOnsieCI6IjJSc2pwNkpmZnYxTGhIbW9nckU1LUpBX05FSFE0WTZOS2RWdnh5OThrTEpDZ21reUpDbkFrZ3RON1BnX3d2T2kiLCJjcnYiOiJQLTM4NCIsImt0eSI6IkVDIiwieSI6ImhISlZBS1l4bUx6c1pRQlM2YmJzRFEwUmUwVjBaTmswZTB6YWM2QmJCYUI1OGt5NEtfWGhkNTdrZS0zTHcyczkifX0.oWqHrFLpxEjH45gPpdd9AvnJUGwOxa9x3tjKvSCKDj7TpDD4uBom2Q.7zmWFfnl-rwgxGs-.zPI_ie2rpHu_e_vIAvMcc3B-67wyQjKUrBgQ7scakbRSyR-mraUVgf_H8z7zFRyTWOjbQC8zdC4uvC-aBwk9adl-Bx7YqVYDqL_oX89bjwmG_H1LVw_u3MmjQ5w9N5OXhPCKg5dNOlBAAbReu16PYgZ7ynyLqf5cPnFHzoQmN3WAbvq5La4sN0u0rpO0Zbf0lvqO1Xq1sGiIrouSjouuln30iSKxpgk6x5NqfyoYihypD9TeGq9snZP-vzb2ikRDOcA3auFv3kqrkbLGKp4rc9VHm89Y4aMBv4dwgcPXF89aOMWY-VZeuAjjKSBcA30ZiEttLpkTzinYKB4eyQ9DwqazAARkX2v9gHWJRvldcjLWhEtDrVwfaYpbWuVeuikF97ETrlRTFB-8ouCw96vQFcINZ0Su0QSxey3l9kvgOmCsEvSlFkTQ5ztYdwK-u3rXsydp-y3Cpbvoh-LaRK7lXKnji8dCpfD99zo2HU_LW_-zdMRxoGESzUn4gJ_PIVbPiQmRBdcXxbX0kt7WOf-a1XeZsrBIHV1dHCGotLEIdonSCLQ5rgfClp22As6GPeNJfQr7arvSDYc1-iKpoS2TK8mXH5zaUbXhFI42p1A67eyfOhPJpB6yOCX-s4OiKL5B8QwV73elU4CwVgYHDKFmk4-Ydyol3g_8LmCJxudarU-nCGbsnkhl09z-u4Li4y2UYjJ8rE30gD4QgJyGcFi75yAvyCppj9WmfGFer2HPCH_mRG2LL3iziZut2_FtOfvm1GXZFxhRLKuSNfEmajHbLBTu_kKCAv_5cxtylcOs75NqizUbXldflD1NJFSNPOUNWZ6-K-LzA-xyW9OA8DPczJkYPUXcFkcLg8KJVaC8LQFiMKSW8iItPSL33Z76uxBZ7IzhBG8G7qln3-ovWiguWoabPUcrkqiXVBfgiDfrtRVVb-UFHokVwgt8ys3ZRVXbdB7J_ypKdoipX7Jfx7sR2MOaS_b2aSPMYpGVrlhSyjrTR5uP0Zf6cTVCWje_TT3pgIUKftqCdsjPGuIETP43SAxxFdLPDhBk-g9VzV4Sr6Cpc5pQxqI0pa14i0yR1UheHpqZlcs-XBi3hKaRxUX8lWX9xXoTuaK890w_avoQvpt8ifomeJyqjsDFaicnhdGdSudSBpKuRK1cxSWFxNvYAJkBXZXEfEIw0Rd1XyjWgB2RZLZudBgPLqjztxnPb0Ym6BWtprNTsfYe4XaV7qpgOtUlonuFol5od1DbGPPK4R_5SOmNCBV2PylwgMDWAwzDI8n8aDgYwJeLC_FnAiha9ssEG1CGA24FSC7k1oUlE5IBOaRWmeMawMn9jtSZheB8gyYibLKodBoyI-BcH4dLmZ-09q7Nu5Bd9dWVEpWJqeU.QRTV_Dnso5KCMNACNibSPQ';

export const operationRequestJwe =
  'eyJhbGciOiJFQ0RILUVTK0EyNTZLVyIsImVuYyI6IkEyNTZHQ00iLCJlcGsiOnsieCI6IjhNZ0QyRnd2cmV6YlVjdGQtWk9HLTF2eEdhZ3RjakxaQVM5eDlRV2drODNXYjZyeHdqSFNOalFCc2lQcGNJSnQiLCJjcnYiOiJQLTM4NCIsImt0eSI6IkVDIiwieSI6IjlGenZocE1HY1p2cWcyTW9CZDRnQktvdnJmSGhiOVcyVXVZTWxmR3lwVmZiRG1GcWdhX0czcWEwMjRVT1lDbnEifX0.5X15xYeYT2LPgUC9oPuT7d7tUfUOpi7vsv9GMxOzs3gy9WrS9GfgGQ.g_fscTz9bBs2JhXS.6NQOm4Tm-4_bJdKgWrWhUdd7_gtvu7f4IlHxt9vM4ykw.5_7MD0uGNRzqjUUztALpZQ';

export const byReferenceRequestJwe =
  'eyJhbGciOiJFQ0RILUVTK0EyNTZLVyIsImVuYyI6IkEyNTZHQ00iLCJlcGsiOnsieCI6IlVKSVloaHJxTnZDRVkwWDVxNXY1V0VYaXNGc1FvR3dLczJJaC1xM0x0enFJUEdVcWZQQXhYWlVTTURyYVpkZzIiLCJjcnYiOiJQLTM4NCIsImt0eSI6IkVDIiwieSI6ImplZkZ3VkllSDQ0VXpzUDVSMVdoUnhsb3JPWGwyaHV4bGZyaGNhc3ZqTTFqY3dFTDVDbkg3b0cyTnJZMnVjZmEifX0.4dVHPyo2PL3rJIO_NjwBq-I2MiVcRSvXphqckCtZQJpn5fq4J9ghKw.frPKi2GzFyu-dKui.RjgUjQVIAkzjyb5VbjzcIe6vQxLij5F5CvHI0XmHUYYP8xu6lQ6NWGzEs4-yazUx5vNiikz_Mp_FEl6V.oZQSPr9RnWCIUHfijLwQcQ';

export const operationAnswerJwe =
  'eyJhbGciOiJFQ0RILUVTK0EyNTZLVyIsImVuYyI6IkEyNTZHQ00iLCJlcGsiOnsieCI6ImduU0hlVFdyU2NYNTlWYVEtTzNUb091UTlKcllwOHd4MXBKTWUwclNVcWx6Rm4tUmNMX1RyTVNzbHhHQzl3ZDkiLCJjcnYiOiJQLTM4NCIsImt0eSI6IkVDIiwieSI6InlwNWxrZjNqVkFaQTBackZNNE5JTTFtcUxXUEVlcWhHbnM4dG1sWGU3bG96QTZ0Um05azBDUnY2YlJqZEpORi0ifX0.lYVRbnlWuJBWTJQrapkzPbkXMDrA77h3DWZoT5Ffz8gOoeXCrRcwBw.scKynnPoISyML45O.j43oy_jXD3Vm9GBFDrf9UmZkEKliZZpOrjHQe4xxpnzsq7id9XpP4E-l0Vg0cQMj3aHCrjipOGA-5H9VvfBOsuuqFkL2Ls6QYTdSEh5F5_qU9tU7aq66SJ7tPTu2pjI0VQ8dbC3Gp97rRl-_EBMGyBlLbRonwz_DPNmdk0NwbFJgcrBtnH13g9VF-c0UZSZvfv6KVZzuUZJk4DaUDxw68PKMV1fYZvkdg9Srdk4R3pvm0ZqOvOtg2mWTHj2ncQaZPQO3lb8KUfEhjHluUDr0TsfWZOTtEnS4z4zzEtDSMvfTGGeQZC0MdQAjwvly3ryKWRxigpsOHCuVyh8Bqa_-m3QkQgD1iRLSADwzmJckWCcgAD-58_aNbM563Q1BcvhuXPKJoVFQeJE-41O6_lTR_Pu3NGpHLh9KWBjhpy5gEPM3u9dEepHX18Yf4DSnuC_Llw9a-WadeH0L3m7VPQPktZZAPTpv5LbiQgihFTFTFvCj6YKDkH-LQ4ouWbcJxfBfyXybmf8hTYxxMDlPgSkvWXU26_gqQTZ6r_ekuvALt4JS7Kg1UD4hoW0saWRfA9NDHbS3j6ayQflh0GtauPQE0s74tQugODmxWhRr0bzFp7ZasNEy5hikOSCRKYDOg0ev4piSAYtCAmd7DMKzodRiIsIkwLZt3q_SoVWUDzqCeV8pjZQsEZujFa-uEQcY0PizAyQfHbrjbrLg_cz13d8ydvYE4JsXgn-romtqZwVgTAHHrRTVGFJRn_1blaIsu7TF9xDjrNsubhHjcLM_9lpHR0EwkDdmbXPjN0_WfHh9inQaBRm293-r1mR-yqSQrTOmqceSrJ-pqDmprfcn06nb2_M0yN3w_huJ6ne-eRYUyuFVGOV3nlnvmIRogcGf5wgHUvQpTeTXwZHv7g1y27ATpBxLV_3lihjB-qA9uhk2OxD2egxtMcJXGHIThysmXKbCbjwVzmhbpPM70YiPJmhW3Xvmz5beF9jwMuqTcxSG3uNfRxSjz7ySS7SDz0_7db816OwBiaFRLomJtQuTrxY0d_J3E_qdHnU2KOUA1cL2xGPBYCypF5AIk15e6BaPoKpls_Nil7JEaJ_dlKA7uVV805sxiVja5J6aGffVrGr3hjCChScMur3r4rjtonhk1AoxY_aohdGaEmX94hM_Zki29dY0iGpb-cWR16kc6RrucwFu5Omz2rFLxOwl0XTC1FOAmkw8Zs26OTx7bfyrXwkDyaM_3SoJ5ExiHho7DJd60rIF_nUvlFT-N4SRrw.z2erEzA5rwYkhSGZSMhM-A';
